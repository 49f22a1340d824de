"""Manifest loading: safe YAML with positions -> JSON Schema -> pydantic -> cross-field rules.

Every problem of a file is collected and raised together as a ``ManifestError`` whose lines read
``path/to/nerspec.yaml:LINE:COL: spec.entities[2].name: message``.
"""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from nerspec.errors import ManifestError, Problem
from nerspec.manifest import rules
from nerspec.manifest.fields import SHA256_PATTERN
from nerspec.manifest.kind_names import NER_KIND
from nerspec.manifest.schema import (
    PROJECT_MODELS,
    SUPPORTED_API_VERSIONS,
    SUPPORTED_KINDS,
    AnyProject,
    TextClassificationProject,
)
from nerspec.manifest.yamlpos import Path_, Positions, YamlProblem, YamlValue, load_with_positions
from nerspec.safeio import what_is

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError as SchemaError

    from nerspec.json_types import JsonObject


class Locate(Protocol):
    """A problem at a manifest path, located at its value (or its key) in the YAML text."""

    def __call__(self, p: Path_, message: str, key: bool = False) -> Problem: ...

MANIFEST_NAME = "nerspec.yaml"
SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schemas" / "nerspec.v1.schema.json"


@dataclass(frozen=True)
class LoadedProject:
    """A validated manifest and where it lives."""

    manifest: AnyProject
    path: Path  # the manifest file
    positions: Positions
    # Observed state, attached at the command edge (``nerspec.corpus.split_record.with_recorded_splits``): the sides
    # (document id -> in test) a stratified split version 4 recorded with the models trained on it; None: none.
    recorded_split: Mapping[str, bool] | None = field(default=None, compare=False, repr=False)

    @property
    def dir(self) -> Path:
        return self.path.parent

    @property
    def name(self) -> str:
        return self.manifest.metadata.name

    @property
    def kind(self) -> str:
        return self.manifest.kind

    def locate(self, path: Path_, message: str) -> Problem:
        """A problem pointing at the manifest line that declared ``path`` (for data errors)."""
        line, col = self.positions.of_value(path)
        return Problem(display_path(self.path), line, col, format_path(path), message)


def display_path(path: Path) -> str:
    """Relative to the working directory when possible: that is what users click in a terminal or CI log."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
    except (RuntimeError, OSError):  # a symbolic link loop (RuntimeError before Python 3.13): was exit 70
        return _unresolved(path)


def _unresolved(path: Path) -> str:
    """``path`` relative to the working directory without following links (which loop)."""
    try:
        relative = os.path.relpath(path)
    except (ValueError, OSError):  # another drive; a working directory that is gone
        return str(path)
    return str(path) if relative.startswith("..") else relative


def format_path(path: Path_) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif out:
            out += f".{part}" if part.isidentifier() else f"[{json.dumps(part)}]"
        else:
            out = part
    return out


def discover(paths: list[Path] | tuple[Path, ...]) -> list[Path]:
    """Manifest files for the given paths: a manifest file; a project directory; a directory of projects
    (``projects/``: every ``*/nerspec.yaml``); a repository root (every ``projects/*/nerspec.yaml``). Without
    paths, the working directory, else the project that contains it (run from ``projects/x/data/``)."""
    found: list[Path] = []
    for path in paths or [Path(".")]:
        if path.is_file():
            found.append(path)
        elif path.is_dir():
            manifests = _manifests_in(path) or ([] if paths else _enclosing(path))
            if not manifests:
                raise ManifestError([Problem(
                    display_path(path), 0, 0, "",
                    f"no {MANIFEST_NAME} here, in */ (a projects directory) nor in projects/*/ (a repository root)",
                )])
            found.extend(manifests)
        else:  # a FIFO or a device was "no such file or directory"
            raise ManifestError([Problem(str(path), 0, 0, "", what_is(path, "not a manifest or a project directory"))])
    return found


def manifests_holding(files: list[Path] | tuple[Path, ...]) -> list[Path]:
    """The manifests of the projects that hold any of ``files`` (changed files, as a pre-commit hook gets them),
    each once; files outside every project (and deleted ones outside a surviving project) hold none."""
    found: dict[Path, Path] = {}
    for file in files:
        for manifest in _enclosing(Path(file)):
            found.setdefault(manifest.resolve(), manifest)
    return list(found.values())


def _manifests_in(path: Path) -> list[Path]:
    if (path / MANIFEST_NAME).is_file():
        return [path / MANIFEST_NAME]
    return sorted((path / "projects").glob(f"*/{MANIFEST_NAME}")) or sorted(path.glob(f"*/{MANIFEST_NAME}"))


def _enclosing(path: Path) -> list[Path]:
    """The manifest of the nearest enclosing project, not looking past the repository root."""
    for parent in path.resolve().parents:
        if (parent / MANIFEST_NAME).is_file():
            return [parent / MANIFEST_NAME]
        if (parent / ".git").exists():
            break
    return []


def load_projects(paths: list[Path] | tuple[Path, ...]) -> list[LoadedProject]:
    """Load every manifest; report the problems of all files together."""
    loaded, problems = load_projects_partially(paths)
    if problems:
        raise ManifestError(problems)
    return loaded


def load_projects_partially(paths: list[Path] | tuple[Path, ...]) -> tuple[list[LoadedProject], list[Problem]]:
    """The manifests that load, and the problems of those that do not (``validate`` checks the data of the first
    and reports everything at once)."""
    loaded, problems = [], []
    for manifest in discover(paths):
        try:
            loaded.append(load_project(manifest))
        except ManifestError as exc:
            problems.extend(exc.problems)
    names: dict[str, Path] = {}
    unique = []
    for project in loaded:
        if project.name in names:
            problems.append(
                project.locate(("metadata", "name"), f"project `{project.name}` is also defined in {names[project.name]}"))
            continue
        names[project.name] = project.path
        unique.append(project)
    return unique, problems


def load_project(path: Path) -> LoadedProject:
    if path.is_dir():
        path = path / MANIFEST_NAME
    shown = display_path(path)
    from nerspec import safeio

    try:
        text = safeio.read_bytes(path).decode("utf-8")
    except FileNotFoundError:
        raise ManifestError([Problem(shown, 0, 0, "", "no such file")]) from None
    except OSError as exc:  # a FIFO or device named nerspec.yaml, unreadable files
        reason = str(exc.args[0]) if exc.strerror is None else exc.strerror.lower()
        raise ManifestError([Problem(shown, 0, 0, "", reason)]) from None
    except UnicodeDecodeError as exc:
        raise ManifestError([Problem(shown, 0, 0, "", f"not UTF-8 (byte offset {exc.start})")]) from None
    try:
        raw, positions = load_with_positions(text)
    except YamlProblem as exc:
        where = format_path(exc.path) if exc.path else ""
        raise ManifestError([Problem(shown, exc.line, exc.col, where, exc.message)]) from None

    def at(p: Path_, message: str, key: bool = False) -> Problem:
        line, col = positions.of_key(p) if key else positions.of_value(p)
        return Problem(shown, line, col, format_path(p), message)

    if not isinstance(raw, dict):
        raise ManifestError([at((), "a manifest is a mapping with apiVersion, kind, metadata and spec")])
    problems = _header_problems(raw, at)
    manifest = None if problems else _valid_manifest(raw)
    if manifest is not None:
        # The common case, a valid manifest, needs neither jsonschema (its import alone is a good part of a no-op
        # plan's time) nor its error messages; anything strict pydantic refuses gets both below.
        cross = rules.check(manifest, path.parent)
        if cross:
            raise ManifestError([at(p, message) for p, message in cross])
        return LoadedProject(manifest=manifest, path=path, positions=positions)
    kind = raw.get("kind")
    if isinstance(kind, str) and kind in SUPPORTED_KINDS:  # the kind picks the schema, so the rest can be checked
        problems += [
            _located(error, raw, at)
            for error in _validator(kind).iter_errors(raw)
            # already reported, with the supported list
            if tuple(error.absolute_path)[:1] != ("apiVersion",)
            and not (error.validator == "required" and "'apiVersion'" in error.message)
        ]
    if problems:
        raise ManifestError(problems)

    model = PROJECT_MODELS.get(str(raw["kind"]), TextClassificationProject)
    from pydantic import ValidationError

    try:
        manifest = model.model_validate(raw)
    except ValidationError as exc:  # JSON Schema passed, so this is rare: report it located all the same
        raise ManifestError([at(tuple(e["loc"]), e["msg"].removeprefix("Value error, ")) for e in exc.errors()]) from None
    cross = rules.check(manifest, path.parent)
    if cross:
        raise ManifestError([at(p, message) for p, message in cross])
    return LoadedProject(manifest=manifest, path=path, positions=positions)


def _valid_manifest(raw: dict[str, YamlValue]) -> AnyProject | None:
    """The manifest when strict validation accepts it as the JSON Schema would (JSON mode: no "30" for 30, no
    YAML dates), else None. The schema is generated from these models, so both agree on valid documents."""
    from pydantic import ValidationError

    model = PROJECT_MODELS.get(str(raw.get("kind")), TextClassificationProject)
    try:
        return model.model_validate_json(json.dumps(raw), strict=True)
    except (ValidationError, TypeError, ValueError):
        return None


TOP_LEVEL_KEYS = ("apiVersion", "kind", "metadata", "spec")


def _header_problems(raw: dict[str, YamlValue], at: Locate) -> list[Problem]:
    problems = []
    version = raw.get("apiVersion")
    if version is None:
        problems.append(at((), f"missing `apiVersion`; supported: {', '.join(SUPPORTED_API_VERSIONS)}"))
    elif version not in SUPPORTED_API_VERSIONS:
        problems.append(
            at(("apiVersion",), f"unsupported apiVersion `{version!s}`; supported: {', '.join(SUPPORTED_API_VERSIONS)}")
        )
    kind = raw.get("kind")
    if kind is None:
        problems.append(at((), f"missing `kind`; one of: {', '.join(SUPPORTED_KINDS)}"))
        # Without a kind there is no schema to name unknown keys: name the top-level ones here (`kınd`, `Kind`).
        problems.extend(at((str(key),), f"unknown key `{key}`{_did_you_mean(str(key), TOP_LEVEL_KEYS)}", key=True)
                        for key in raw if key not in TOP_LEVEL_KEYS)
    elif kind not in SUPPORTED_KINDS:
        hint = _did_you_mean(str(kind), SUPPORTED_KINDS)
        problems.append(at(("kind",), f"unknown kind `{kind!s}`{hint}; one of: {', '.join(SUPPORTED_KINDS)}"))
    return problems


@cache
def _schema() -> JsonObject:
    if SCHEMA_FILE.is_file():  # the committed file editors and CI use
        return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    from nerspec.manifest.schema_file import json_schema  # installed without the repository

    return json_schema()


@cache
def _validator(kind: str) -> Draft202012Validator:
    from jsonschema import Draft202012Validator

    schema = _schema()
    # Validate against the one kind's definition: a oneOf over both kinds gives useless messages.
    return Draft202012Validator({"$ref": f"#/$defs/{kind}", "$defs": schema["$defs"]})


# Keys one kind declares and another refuses: "unknown key" would send the user looking for a typo.
OTHER_KIND_KEYS: dict[tuple[str | int, ...], str] = {
    ("spec", "overlapping"): f"`overlapping` is a {NER_KIND} setting (entity spans that overlap or nest); "
    "a classification project's classes are not spans",
}


def _located(error: SchemaError, raw: dict[str, YamlValue], at: Locate) -> Problem:
    path: Path_ = tuple(error.absolute_path)
    if error.validator == "additionalProperties":
        allowed = _allowed_keys(error.schema)
        extra = [k for k in _keys(error.instance) if k not in allowed]
        key = extra[0] if extra else ""
        hint = _did_you_mean(key, allowed)
        names = ", ".join(f"`{k}`" for k in extra)
        if (*path, key) in OTHER_KIND_KEYS:
            return at((*path, key), OTHER_KIND_KEYS[(*path, key)], key=True)
        return at((*path, key), f"unknown key {names}{hint}", key=True)
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        return at(path, f"missing required key `{missing}`")
    if error.validator == "pattern" and str(error.validator_value).startswith("^https?"):
        return at(path, f"`{error.instance}`: only http:// and https:// URLs are supported"
                  + (" (for a file inside the project use `path:`)" if str(error.instance).startswith("file:") else ""))
    if error.validator == "pattern" and error.validator_value == SHA256_PATTERN:
        return at(path, f"{error.instance!r} is not a sha256 digest (64 lowercase hex digits)")
    if error.validator == "pattern":
        description = error.schema.get("description") if isinstance(error.schema, Mapping) else None
        return at(path, f"{error.instance!r} is not a valid name" + (f": {description}" if description else ""))
    if error.validator in ("maxItems", "minItems") and isinstance(error.instance, list):  # not the whole list
        bound = "at most {} allowed" if error.validator == "maxItems" else "at least {} needed"
        return at(path, f"{len(error.instance)} items; {bound.format(error.validator_value)}")
    if error.validator == "enum" or error.validator == "const":
        value = error.validator_value
        options = value if error.validator == "enum" and isinstance(value, list) else [value]
        hint = _did_you_mean(str(error.instance), [str(o) for o in options])
        return at(path, f"{error.instance!r} is not one of {', '.join(map(repr, options))}{hint}")
    if error.validator == "oneOf" and (tagged := _tagged_branch(error, path, at)) is not None:
        return tagged if isinstance(tagged, Problem) else _located(tagged, raw, at)
    if error.validator in ("anyOf", "oneOf"):
        best = _best_branch(error)
        if best is not None:
            return _located(best, raw, at)
    return at(path, error.message)


def _tagged_branch(error: SchemaError, path: Path_, at: Locate) -> Problem | SchemaError | None:
    """A tagged union (pydantic's ``discriminator``, e.g. a target's ``type``): an unknown or missing tag is the
    problem itself, else the error comes from the branch the tag names, never from a branch the user did not pick
    (an http target's bad `url` read "unknown key `url`", the local target's complaint)."""
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    tag_of = schema.get("discriminator")
    if not isinstance(tag_of, Mapping) or not isinstance(error.instance, Mapping):
        return None
    key, mapping = str(tag_of.get("propertyName")), tag_of.get("mapping")
    if not isinstance(mapping, Mapping):
        return None
    tags = ", ".join(f"`{t}`" for t in mapping)
    tag = error.instance.get(key)
    if tag is None:
        return at(path, f"missing required key `{key}`; one of: {tags}")
    if not isinstance(tag, str) or tag not in mapping:
        return at((*path, key), f"unknown {key} `{tag}`{_did_you_mean(str(tag), list(mapping))}; one of: {tags}")
    branches = [b.get("$ref") if isinstance(b, Mapping) else None for b in schema.get("oneOf", [])]
    index = branches.index(mapping[tag]) if mapping[tag] in branches else None
    chosen = [e for e in error.context if e.relative_schema_path and e.relative_schema_path[0] == index]
    from jsonschema.exceptions import best_match

    return best_match(chosen) if chosen else None


def _best_branch(error: SchemaError) -> SchemaError | None:
    from jsonschema.exceptions import best_match

    # `str | None` fields: a string that breaks the string's rule is better explained by that rule than by
    # "is not of type 'null'"; likewise a block (`monitoring: {alert: {drift: 5}}`) by what is wrong inside it.
    here = list(error.absolute_path)
    context = [e for e in error.context if e.validator != "type" or list(e.absolute_path) != here] or error.context
    return best_match(context) if context else None


def _allowed_keys(schema: object) -> list[str]:
    properties = schema.get("properties", {}) if isinstance(schema, Mapping) else {}
    return list(properties) if isinstance(properties, Mapping) else []


def _keys(instance: object) -> list[str]:
    """The keys of the mapping an ``additionalProperties`` error is about."""
    return [str(key) for key in instance] if isinstance(instance, Mapping) else []


def _did_you_mean(word: str, options: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f" (did you mean `{close[0]}`?)" if close else ""
