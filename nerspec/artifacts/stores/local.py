"""The local artifact store: a directory of ``<fingerprint>/`` artifacts (the default: ``<state>/models``)."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING

from nerspec import safeio
from nerspec.artifacts import layout
from nerspec.artifacts.stores.base import StoredModel
from nerspec.errors import ModelNotFoundError
from nerspec.model_meta import find_model_meta

if TYPE_CHECKING:
    from nerspec.fingerprints.stat_cache import StatCache

TOMBSTONE = ".gc-"  # ``.<fingerprint>.gc-<pid>``: a model a gc renamed away and is deleting
INTENT = "intent"  # ``.<fingerprint>.gc-intent``: a model a gc is about to remove (written before the state forgets it)


class LocalArtifactStore:
    remote = False

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def location(self, fingerprint: str) -> str:
        return str(self.root / fingerprint)

    def exists(self, fingerprint: str) -> bool:
        return layout.is_complete(self.root / fingerprint)

    def intact(self, fingerprint: str, recorded: dict[str, str], cache: StatCache) -> bool:
        return layout.intact(self.root / fingerprint, recorded, cache)

    def publish(self, fingerprint: str, local: Path, files: dict[str, str]) -> None:
        if Path(local).resolve() != (self.root / fingerprint).resolve():
            import shutil

            from nerspec import atomic

            final = self.root / fingerprint
            if not layout.is_complete(final):
                with atomic.staged_dir(final) as staged:
                    shutil.copytree(local, staged, dirs_exist_ok=True)

    def fetch(self, fingerprint: str, recorded: dict[str, str], cache: StatCache) -> Path:
        path = self.root / fingerprint
        if not layout.is_complete(path):
            raise ModelNotFoundError(f"model {fingerprint[:12]} is missing from {self.root}")
        return path

    def verify(self, fingerprint: str, recorded: dict[str, str]) -> list[str]:
        """The recorded files that are missing or differ, read in full (no stat cache)."""
        from nerspec.safeio import sha256_file

        bad = []
        for rel, sha in sorted(recorded.items()):
            path = self.root / fingerprint / rel
            if not path.is_file() or sha256_file(path) != sha:
                bad.append(rel)
        return bad if layout.is_complete(self.root / fingerprint) else ["meta.json", *bad]

    def read_file(self, fingerprint: str, rel: str) -> bytes | None:
        try:
            return safeio.read_bytes(self.root / fingerprint / rel)
        except OSError:
            return None

    def list_fingerprints(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if not p.name.startswith(".") and layout.is_complete(p))

    # -- nerspec gc ------------------------------------------------------------------------------------
    def stored(self) -> list[str]:
        """Model directories (staging ``.partial``, tombstones and damaged copies start with a dot)."""
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if not p.name.startswith(".") and p.is_dir())

    def describe(self, fingerprint: str) -> StoredModel:
        path = self.root / fingerprint
        meta = find_model_meta(path)
        project = meta.project if meta is not None else None
        try:
            age = time.time() - path.stat().st_mtime
        except OSError:
            age = 0.0
        return StoredModel(fingerprint, tree_size(path), age, project)

    def mark_removal(self, fingerprint: str, project: str | None) -> None:
        from nerspec import atomic

        atomic.write_text(self.root / f".{fingerprint}{TOMBSTONE}{INTENT}", f"{project or ''}\n")

    def remove(self, fingerprint: str, project: str | None) -> None:
        remove_tree(self.root / fingerprint)
        (self.root / f".{fingerprint}{TOMBSTONE}{INTENT}").unlink(missing_ok=True)

    def interrupted_removals(self) -> dict[str, str | None]:
        return {fp: None for fp in tombstones(self.root)}

    def finish_removal(self, fingerprint: str) -> None:
        leftovers = tombstones(self.root).get(fingerprint, [])
        marked = [path for path in leftovers if path.name.endswith(INTENT)]
        if marked:  # killed between forgetting the record and renaming the directory away
            remove_tree(self.root / fingerprint, crashpoint=False)
        for path in leftovers:
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
        for path in marked:  # the mark last: a kill before this point leaves it for the next gc
            path.unlink(missing_ok=True)


def tree_size(path: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                pass
    return total


def remove_tree(path: Path, crashpoint: bool = True) -> None:
    """Make a model directory disappear in one rename (readers see it whole or not at all), then delete it."""
    from nerspec.state.crashpoints import pause

    tombstone = path.with_name(f".{path.name}{TOMBSTONE}{os.getpid()}")
    try:
        os.rename(path, tombstone)
    except FileNotFoundError:
        return
    if crashpoint:
        pause("gc")
    shutil.rmtree(tombstone, ignore_errors=True)


def tombstones(root: Path) -> dict[str, list[Path]]:
    """fingerprint -> the tombstones of killed gc runs under ``root``."""
    out: dict[str, list[Path]] = {}
    if root.is_dir():
        for path in root.glob(f".*{TOMBSTONE}*"):
            out.setdefault(path.name[1:].rsplit(TOMBSTONE, 1)[0], []).append(path)
    return out
