"""``nerspec clone SRC DEST --name NEW``: a new project with the same schema, data and settings.

The manifest is copied as text with only ``metadata.name`` replaced (comments and layout kept), and every
file the manifest reads is copied to the same relative place: data sources (a pool's folder too) and an
expert training config. State is per project name, so the clone starts with nothing trained or deployed.
The copy is staged next to DEST and renamed into place: a failed clone leaves no DEST behind.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from nerspec.errors import NerspecError
from nerspec.manifest.fields import NAME_PATTERN

_SCALAR = re.compile(r"""("[^"]*"|'[^']*'|[^\s#,}]+)""")


def clone_project(source: Path, dest: Path, name: str) -> Path:
    """Copy the project at ``source`` to the new directory ``dest`` under ``name``; returns the new manifest."""
    from nerspec.atomic import staged_dir
    from nerspec.manifest.load import load_project

    if not re.fullmatch(NAME_PATTERN[1:-1], name):
        raise NerspecError(f"--name {name!r}: letters, digits, `_ . -`; at most 50 characters")
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise NerspecError(f"{dest} exists and is not an empty directory")
    project = load_project(source)
    if dest.exists():
        dest.rmdir()  # empty: the staged copy takes its place
    with staged_dir(dest) as staged:
        for relative in _files(project):
            target = staged / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(project.dir / relative, target)
        (staged / project.path.name).write_text(_renamed(project, name), encoding="utf-8")
    clone = load_project(dest / project.path.name)  # the copy must load like the original
    return clone.path


def _renamed(project: object, name: str) -> str:
    text = project.path.read_text(encoding="utf-8")  # type: ignore[attr-defined]
    line, col = project.positions.of_value(("metadata", "name"))  # type: ignore[attr-defined]
    lines = text.split("\n")
    row = lines[line - 1]
    match = _SCALAR.match(row, col - 1)
    if match is None:
        raise NerspecError(f"{project.path}:{line}:{col}: cannot find metadata.name to replace")  # type: ignore[attr-defined]
    lines[line - 1] = row[: match.start()] + name + row[match.end() :]
    return "\n".join(lines)


def _files(project: object) -> list[Path]:
    """Every file the manifest reads, relative to the project directory (URL sources are fetched, not copied)."""
    from nerspec.corpus.formats import module

    root = project.dir.resolve()  # type: ignore[attr-defined]
    spec = project.manifest.spec  # type: ignore[attr-defined]
    found: set[Path] = set()
    for source in spec.data:
        if source.path is None:
            continue
        path = project.dir / source.path  # type: ignore[attr-defined]
        files = [p for p in path.rglob("*") if p.is_file()] if path.is_dir() else module(source.format).referenced_files(path)
        found.update(Path(p).resolve() for p in files if Path(p).is_file())
    if spec.training.config:
        found.add((project.dir / spec.training.config).resolve())  # type: ignore[attr-defined]
    return sorted(p.relative_to(root) for p in found if root in p.parents)
