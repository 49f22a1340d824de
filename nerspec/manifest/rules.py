"""Cross-field rules: what JSON Schema cannot say about a single field.

Each rule yields ``(path, message)`` so every violation of a file is reported at once, located.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from nerspec.manifest.schema import AnyProject, Deployment
from nerspec.manifest.target_names import MANIFEST_TARGETS, SERVED_HERE

RuleProblem = tuple[tuple[str | int, ...], str]


def check(project: AnyProject, project_dir: Path) -> list[RuleProblem]:
    return [*_labels(project), *_data(project, project_dir), *_deployments(project), *_smoke(project), *_gates(project)]


def _label_field(project: AnyProject) -> str:
    return project.spec.label_field


def _label_noun(project: AnyProject) -> str:
    return project.spec.label_noun


def _labels(project: AnyProject) -> Iterator[RuleProblem]:
    field, noun = _label_field(project), _label_noun(project)
    seen: dict[str, int] = {}
    for i, label in enumerate(project.spec.labels):
        if label.name in seen:
            yield ("spec", field, i, "name"), f"duplicate {noun} `{label.name}` (also {field}[{seen[label.name]}])"
        else:
            seen[label.name] = i
    renamed: dict[str, int] = {}
    for i, label in enumerate(project.spec.labels):
        names = label.previous_names
        where = ("spec", field, i, "renamed_from")
        if isinstance(label.renamed_from, list) and not names:
            yield where, "an empty list renames nothing; remove `renamed_from`"
        for k, old in enumerate(names):
            at = (*where, k) if isinstance(label.renamed_from, list) else where
            if old == label.name:
                yield at, f"`{old}` is renamed to itself"
            elif old in seen:
                article = "an" if noun[0] in "aeiou" else "a"
                yield at, f"`{old}` is still declared as {article} {noun}; a renamed {noun} must not collide with a current one"
            elif old in renamed:
                other = renamed[old]
                yield at, (f"`{old}` is already claimed by {field}[{other}] ({project.spec.labels[other].name}); "
                           "a previous name can be mapped to one new name only")
            else:
                renamed[old] = i


def _data(project: AnyProject, project_dir: Path) -> Iterator[RuleProblem]:
    names: dict[str, int] = {}
    for i, source in enumerate(project.spec.data):
        base = ("spec", "data", i)
        if source.name in names:
            yield (*base, "name"), f"duplicate data source `{source.name}` (also data[{names[source.name]}])"
        names.setdefault(source.name, i)
        if (source.path is None) == (source.url is None):
            yield base, "give exactly one of `path` or `url`"
        if source.url is not None and source.sha256 is None:
            yield (*base, "url"), "a URL source must be pinned with `sha256`"
        if source.path is not None:
            problem = inside_project(source.path, project_dir)
            if problem:
                yield (*base, "path"), problem
        if source.encoding is not None and not _known_codec(source.encoding):
            yield (*base, "encoding"), f"unknown text encoding `{source.encoding}` (e.g. `utf-8`, `latin-1`, `cp1252`)"
    split = project.spec.split
    if split.version is not None and split.policy != "stratified":
        yield ("spec", "split", "version"), f"only `stratified` has more than one version; remove `version` (policy `{split.policy}`)"
    yield from _pretrain(project)
    config = project.spec.training.config
    if config is not None:
        problem = inside_project(config, project_dir)
        if problem is None and not (project_dir / config).is_file():
            problem = f"`{config}` does not exist (relative to the project directory)"
        if problem:
            yield ("spec", "training", "config"), problem


def _pretrain(project: AnyProject) -> Iterator[RuleProblem]:
    training = project.spec.training
    if training.pretrain is None:
        return
    where = ("spec", "training", "pretrain")
    pools = {source.name for source in project.spec.data if source.unlabeled}
    if training.config is not None:
        yield where, "`pretrain` needs the generated config; with `config` pretrain with `spacy pretrain` yourself"
    if training.base is not None:
        yield where, "`pretrain` and `base` both initialise the tok2vec; use one of them"
    if training.pretrain.sources is None:
        if not pools:
            yield where, "pretraining needs raw text: declare a data source with `unlabeled: true`"
        return
    for i, name in enumerate(training.pretrain.sources):
        if name not in pools:
            yield (*where, "sources", i), f"`{name}` is not a data source with `unlabeled: true`"


def _known_codec(name: str) -> bool:
    import codecs

    try:
        return codecs.lookup(name).name not in _BINARY_CODECS
    except LookupError:
        return False


# Codecs that turn bytes into bytes (or need extra arguments), not bytes into text; `undefined` refuses every
# input with a bare UnicodeError (was exit 70 at the first file read).
_BINARY_CODECS = {"base64", "bz2", "hex", "quopri", "uu", "zlib", "rot-13", "idna", "punycode", "undefined"}


_NAME_MAX = 255  # bytes in one path component on Linux, macOS and Windows file systems
_PATH_MAX = 4096  # bytes in a whole path on Linux (less elsewhere; then the OS names the path)


def inside_project(relative: str, project_dir: Path) -> str | None:
    """Why ``relative`` may not be used as a data path, or None when it stays inside the project."""
    if not relative.strip():
        return "the path is empty; name a file or directory inside the project directory"
    if "\0" in relative:  # no file system holds it, and the OS refuses it with a ValueError, not an OSError
        shown = relative.replace("\0", "\\0")
        return f"`{shown}` contains a NUL character, which no file name can hold"
    if any(len(part.encode("utf-8", "surrogatepass")) > _NAME_MAX for part in relative.replace("\\", "/").split("/")):
        return f"`{relative[:60]}…` has a name longer than {_NAME_MAX} bytes, which file systems refuse"
    if len(relative.encode("utf-8", "surrogatepass")) > _PATH_MAX:
        return f"`{relative[:60]}…` is longer than {_PATH_MAX} bytes, which file systems refuse"
    if relative.startswith(("/", "\\")) or PurePosixPath(relative).is_absolute() or ":" in relative[:3]:
        return f"`{relative}` is absolute; data paths are relative to the project directory"
    if ".." in PurePosixPath(relative.replace("\\", "/")).parts:
        return f"`{relative}` leaves the project directory (`..` is not allowed)"
    root = project_dir.resolve()
    try:
        resolved = (root / relative).resolve()
    except (RuntimeError, OSError):  # a symbolic link loop (Python < 3.13 raises RuntimeError)
        return f"`{relative}` is a symbolic link loop"
    if resolved != root and root not in resolved.parents:
        return f"`{relative}` resolves outside the project directory (through a symbolic link)"
    return None


def _deployments(project: AnyProject) -> Iterator[RuleProblem]:
    names: dict[str, int] = {}
    for i, deployment in enumerate(project.spec.deployments):
        if deployment.name in names:
            yield ("spec", "deployments", i, "name"), (
                f"duplicate deployment `{deployment.name}` (also deployments[{names[deployment.name]}])"
            )
        names.setdefault(deployment.name, i)
    for i, deployment in enumerate(project.spec.deployments):
        if deployment.promote_from is None:
            continue
        where = ("spec", "deployments", i, "promote_from")
        if deployment.promote_from == deployment.name:
            yield where, "a deployment cannot promote from itself"
        elif deployment.promote_from not in names:
            yield where, f"unknown deployment `{deployment.promote_from}`; declared: {_names(names)}"
    yield from _promotion_cycles(project.spec.deployments, names)
    for i, deployment in enumerate(project.spec.deployments):
        yield from _rollout(deployment, ("spec", "deployments", i, "rollout"))


def _promotion_cycles(deployments: list[Deployment], index: dict[str, int]) -> Iterator[RuleProblem]:
    """``a`` promotes from ``b`` and ``b`` from ``a``: each waits for the other to serve the model first, so none
    of them ever gets one (plan only says "waits", forever)."""
    source = {d.name: d.promote_from for d in deployments if d.promote_from not in (None, d.name)}
    reported: set[str] = set()
    for start in source:
        chain, name = [start], source[start]
        while name in source and name not in chain:
            chain.append(name)
            name = source[name]
        if name in chain and name not in reported:
            cycle = chain[chain.index(name):]
            reported.update(cycle)
            shown = " <- ".join(f"`{n}`" for n in [*cycle, name])
            yield ("spec", "deployments", index[name], "promote_from"), (
                f"promote_from forms a cycle ({shown}): each waits for the other to serve a model first, so none "
                "of them ever gets one; start the chain at a deployment without `promote_from`")


def _rollout(deployment: Deployment, where: tuple[str | int, ...]) -> Iterator[RuleProblem]:
    rollout = deployment.rollout
    if rollout is None:
        return
    if deployment.target.type not in SERVED_HERE:
        served = (name for name in MANIFEST_TARGETS if name in SERVED_HERE)
        yield where, (f"a rollout needs a target `nerspec serve` serves ({', '.join(served)}); "
                      f"`{deployment.target.type}` is served elsewhere")
    if rollout.strategy == "canary" and rollout.weight is None:
        yield (*where, "weight"), "a canary needs `weight`: the share of documents the candidate answers"
    if rollout.strategy == "shadow" and rollout.weight is not None:
        yield (*where, "weight"), "`weight` is for canaries; a shadow sees every document (remove `weight`)"


def _smoke(project: AnyProject) -> Iterator[RuleProblem]:
    """A smoke check can only require labels the model can predict: an undeclared one failed every deployment (and
    switched it back) with nothing in validate or plan saying why."""
    declared = {label.name for label in project.spec.labels}
    own, other = ("entities", "classes") if project.spec.annotates_spans else ("classes", "entities")
    for i, deployment in enumerate(project.spec.deployments):
        for j, check in enumerate(deployment.smoke):
            where = ("spec", "deployments", i, "smoke", j)
            if getattr(check, other):
                yield (*where, other), f"a {project.kind} predicts {own}, not {other}; list them under `{own}`"
            required = [e.category for e in check.entities] if own == "entities" else list(check.classes)
            for k, name in enumerate(required):
                if name not in declared:
                    at = (*where, own, k, "category") if own == "entities" else (*where, own, k)
                    yield at, f"unknown {_label_noun(project)} `{name}`; declared: {_names(declared)}"


def _gates(project: AnyProject) -> Iterator[RuleProblem]:
    gates = project.spec.gates
    field = project.spec.per_label_key
    declared = {label.name for label in project.spec.labels}
    for name in gates.per_label:
        if name != "*" and name not in declared:
            yield ("spec", "gates", field, name), (
                f"unknown {_label_noun(project)} `{name}`; declared: {_names(declared)} (or `*` for all)"
            )
    yield from _language_gates(project)
    if gates.regression is not None:
        deployments = {d.name for d in project.spec.deployments}
        if gates.regression.against not in deployments:
            yield ("spec", "gates", "regression", "against"), (
                f"unknown deployment `{gates.regression.against}`; declared: {_names(deployments)}"
            )


def _language_gates(project: AnyProject) -> Iterator[RuleProblem]:
    from nerspec.languages import base, is_valid

    metadata = project.metadata
    if not is_valid(metadata.language):  # as the data's and the gates' codes are checked
        yield ("metadata", "language"), f"`{metadata.language}` is not a language code (e.g. `en`, `de`, `en-us`)"
    for code in project.spec.gates.per_language:
        where = ("spec", "gates", "per_language", code)
        if not is_valid(code):
            yield where, f"`{code}` is not a language code (e.g. `de`, `en-us`)"
        elif not metadata.multilingual and base(code) != base(metadata.language):
            yield where, (f"`{code}` is not this project's language `{metadata.language}`; "
                          "set `metadata.multilingual: true` for a project of several languages")


def _names(names: object) -> str:
    listed = sorted(names)  # type: ignore[call-overload]
    return ", ".join(f"`{n}`" for n in listed) if listed else "none"
