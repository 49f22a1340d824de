"""``nerspec plan``: the difference between the manifests (desired) and what nerspec recorded (current).

``compute_plan`` is a pure function of ``ProjectInputs`` (manifest-derived values, data fingerprints, recorded
models and deployments, observed registry pointers): easy to test and to snapshot. ``collect_inputs`` is the
only part that touches files, the state store and remote targets; it must stay fast (no spaCy, no numpy).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from nerspec.errors import StalePlanError

PLAN_VERSION = 1
SHORT = 12


@dataclass
class ObservedDeployment:
    """One deployment as recorded and as found on its target."""

    name: str
    target: dict[str, Any]
    promote_from: str | None = None
    desired: bool = True  # declared in the manifest
    recorded: str | None = None  # fingerprint in the state store
    actual: str | None = None  # fingerprint the pointer / remote serves (None: nothing there)
    drift: list[str] = field(default_factory=list)  # what changed outside nerspec
    artifact_damaged: bool = False  # the recorded model's files are missing or changed
    served: list[str] = field(default_factory=list)  # every fingerprint it ever served (promote_from)
    rolled_back_from: list[str] = field(default_factory=list)  # fingerprints a rollback moved it away from
    unreachable: str | None = None  # "URL: why" when the remote target did not answer (unknown, not drift)


@dataclass
class PreviousModel:
    fingerprint: str
    created: str
    data_fingerprint: str
    training_inputs: dict[str, Any]
    versions: dict[str, str]


@dataclass
class ProjectInputs:
    name: str
    kind: str
    manifest_path: str
    manifest_sha256: str
    training_inputs: dict[str, Any]
    versions: dict[str, str]
    data_fingerprint: str
    candidate: str  # model fingerprint the manifest + data ask for
    candidate_recorded: str | None  # created time when trained before and its artifact is intact
    candidate_damaged: bool = False  # trained before, but the artifact is gone or changed
    candidate_orphan: bool = False  # a complete artifact an interrupted apply wrote but did not record
    previous: PreviousModel | None = None  # what the reasons compare against
    data_changes: dict[str, int] | None = None  # documents added / removed / relabeled vs previous
    file_changes: dict[str, int] | None = None  # fallback when document hashes are unknown
    # merged type -> {previous name: instances the data still labels with it} (plan's merge line)
    relabeled: dict[str, dict[str, int]] | None = None
    deployments: list[ObservedDeployment] = field(default_factory=list)


@dataclass
class Plan:
    projects: list[dict[str, Any]]
    inputs_sha256: str

    @property
    def changes(self) -> bool:
        return any(p["actions"] for p in self.projects)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": PLAN_VERSION,
            "changes": self.changes,
            "inputs_sha256": self.inputs_sha256,
            "projects": self.projects,
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Plan:
        if raw.get("version") != PLAN_VERSION or "inputs_sha256" not in raw:
            raise StalePlanError("not a saved nerspec plan (or from another nerspec version); run `nerspec plan -o` again")
        return cls(projects=raw["projects"], inputs_sha256=raw["inputs_sha256"])

    def counts(self) -> dict[str, int]:
        out = {"train": 0, "reuse": 0, "deploy": 0, "remove_deployment": 0, "repair": 0}
        for project in self.projects:
            for action in project["actions"]:
                out[action["type"]] += 1
        return out


def short(fp: str | None) -> str:
    return fp[:SHORT] if fp else "none"


# Shown to people, not inputs of the plan: ``manifest_path`` is relative to the working directory, so hashing it
# would make `apply plan.json` from another directory call an unchanged plan stale. The manifest's content is
# covered by ``manifest_sha256``.
DISPLAY_FIELDS = ("manifest_path",)


def inputs_sha256(inputs: list[ProjectInputs], state_sha256: str) -> str:
    hashed = [{k: v for k, v in asdict(p).items() if k not in DISPLAY_FIELDS} for p in inputs]
    text = json.dumps([hashed, state_sha256], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


# ---------------------------------------------------------------------------------------------------------
# pure part


def compute_plan(inputs: list[ProjectInputs], state_sha256: str = "") -> Plan:
    return Plan(projects=[_project_plan(p) for p in inputs], inputs_sha256=inputs_sha256(inputs, state_sha256))


def _project_plan(p: ProjectInputs) -> dict[str, Any]:
    actions: list[dict[str, Any]] = []
    notes: list[str] = []
    deploys: list[dict[str, Any]] = []
    repairs: list[dict[str, Any]] = []
    removals: list[dict[str, Any]] = []
    # Train it even without deployments (CI evaluates it); adopt an interrupted apply's complete artifact.
    needs_candidate = p.candidate_recorded is None or p.candidate_orphan

    for d in p.deployments:
        if d.unreachable:
            notes.append(f"{d.name}: remote {d.unreachable}; cannot tell what it serves (recorded {short(d.recorded)})")
        if not d.desired:
            if d.recorded is not None or d.actual is not None:
                removals.append(
                    {
                        "type": "remove_deployment",
                        "deployment": d.name,
                        "fingerprint": d.recorded or d.actual,
                        "reasons": ["no longer declared in the manifest"],
                    }
                )
            continue
        if d.recorded == p.candidate and not p.candidate_damaged:
            if d.drift:
                repairs.append(
                    {"type": "repair", "deployment": d.name, "target": d.target.get("type", "local"),
                     "fingerprint": d.recorded, "reasons": list(d.drift)}
                )
            continue
        if d.recorded == p.candidate and p.candidate_damaged:
            deploys.append(_deploy(d, p, ["the deployed model's files were changed or deleted outside nerspec", *d.drift]))
            needs_candidate = True
            continue
        if p.candidate in d.rolled_back_from:
            notes.append(
                f"{d.name}: {short(p.candidate)} was rolled back; apply keeps {short(d.recorded)} until the model "
                f"changes (or `nerspec rollback --to {short(p.candidate)}`)"
            )
            if d.drift:
                repairs.append(_repair(d, p))
            continue
        if d.promote_from is not None and p.candidate not in _served(p, d.promote_from):
            notes.append(
                f"{d.name} waits: {short(p.candidate)} has not been served by {d.promote_from} yet (promote_from)"
            )
            if d.drift and d.recorded is not None:
                repairs.append(_repair(d, p))
            continue
        reasons = ["new deployment"] if d.recorded is None else ["the manifest and data ask for a different model"]
        if d.recorded is None and d.drift:
            reasons = list(d.drift)  # not new: its record was lost
            if d.actual == p.candidate:
                reasons.append(f"the target serves {short(p.candidate)}; recording it")
        elif d.actual == p.candidate and d.recorded != p.candidate:
            reasons.append(f"the target already serves {short(p.candidate)} (an interrupted apply); recording it")
        elif d.drift:
            reasons.extend(d.drift)
        deploys.append(_deploy(d, p, reasons))
        needs_candidate = True

    if needs_candidate:
        if p.candidate_orphan:
            actions.append(
                {"type": "reuse", "fingerprint": p.candidate,
                 "reasons": ["complete artifact left by an interrupted apply; recording it instead of training"]}
            )
        elif p.candidate_recorded is None or p.candidate_damaged:
            actions.append({"type": "train", "fingerprint": p.candidate, "reasons": train_reasons(p)})
        else:
            actions.append(
                {"type": "reuse", "fingerprint": p.candidate,
                 "reasons": [f"identical fingerprint trained {p.candidate_recorded}; not training it again"]}
            )
    actions.extend(deploys)
    actions.extend(repairs)
    actions.extend(removals)
    return {
        "name": p.name,
        "kind": p.kind,
        "manifest_path": p.manifest_path,
        "fingerprint": p.candidate,
        "data_fingerprint": p.data_fingerprint,
        "data_changes": p.data_changes,
        # What each declared deployment serves now: after a rollback (or while promote_from waits) that is not
        # ``fingerprint``, and "no changes" must not read as "serves the candidate".
        "serves": {d.name: d.actual if d.actual is not None else d.recorded for d in p.deployments if d.desired},
        "actions": actions,
        "notes": notes,
    }


def _served(p: ProjectInputs, deployment: str) -> list[str]:
    for d in p.deployments:
        if d.name == deployment:
            return d.served
    return []


def _repair(d: ObservedDeployment, p: ProjectInputs) -> dict[str, Any]:
    """Put a deployment back on the model it is recorded to serve (the pointer drifted). A model whose own files
    were damaged cannot be rebuilt here: it is not the model the manifest and data ask for (that one is rebuilt by
    train + deploy), so the plan says so up front and apply refuses it rather than re-pointing at broken files."""
    reasons = list(d.drift)
    if d.artifact_damaged:
        reasons.append(unrebuildable_hint(d.name, d.recorded, p.candidate, p.candidate in d.served))
    return {"type": "repair", "deployment": d.name, "target": d.target.get("type", "local"),
            "fingerprint": d.recorded, "damaged": d.artifact_damaged, "reasons": reasons}


def unrebuildable_hint(deployment: str, recorded: str | None, candidate: str, candidate_served: bool) -> str:
    redeploy = f" (`--to {short(candidate)}` redeploys the current model)" if candidate_served else ""
    return (
        f"apply cannot rebuild {short(recorded)} (the manifest and data ask for {short(candidate)}): restore its "
        f"files, or point {deployment} at an intact model it served before with "
        f"`nerspec rollback PATH {deployment} --to FP`{redeploy}; `nerspec deployments history PATH` lists them"
    )


def _deploy(d: ObservedDeployment, p: ProjectInputs, reasons: list[str]) -> dict[str, Any]:
    return {
        "type": "deploy",
        "deployment": d.name,
        "target": d.target.get("type", "local"),
        "from": d.recorded,
        "to": p.candidate,
        "if_gates_pass": True,
        "reasons": reasons,
    }


def train_reasons(p: ProjectInputs) -> list[str]:
    if p.candidate_damaged:
        return [f"the artifact of {short(p.candidate)} was changed or deleted outside nerspec; training it again"]
    prev = p.previous
    if prev is None:
        return ["no model yet"]
    reasons: list[str] = []
    old, new = prev.training_inputs, p.training_inputs
    noun = "entity schema" if p.kind == "NERProject" else "class schema"
    schema = _label_changes(old.get("labels", []), new.get("labels", []), p.relabeled)
    if schema:
        reasons.append(f"{noun} changed: {schema}")
    split_changed = _dict_changes(old.get("split", {}), new.get("split", {}))
    versions_changed = _split_version_reasons(old, new)
    if prev.data_fingerprint != p.data_fingerprint:
        reason = _data_reason(p)
        # Only the assignment changed, and a settings or version line below says why.
        if not (reason == ASSIGNMENT_ONLY and (split_changed or versions_changed)):
            reasons.append(reason)
    reasons.extend(versions_changed)
    for key, title in (("split", "split"), ("training", "training")):
        changed = _dict_changes(old.get(key, {}), new.get(key, {}))
        if changed:
            reasons.append(f"{title} settings changed: {changed}")
    for key in ("language", "multilabel", "kind", "training_config_sha256"):
        if old.get(key) != new.get(key):
            reasons.append(f"{key} changed: {old.get(key)} -> {new.get(key)}")
    changed_versions = _dict_changes(prev.versions, p.versions)
    if changed_versions:
        reasons.append(f"versions changed: {changed_versions}")
    return reasons or [f"fingerprint changed ({short(prev.fingerprint)} -> {short(p.candidate)})"]


ASSIGNMENT_ONLY = "data changed: documents unchanged, their train/test assignment changed"


def _split_version_reasons(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Algorithm versions recorded with the previous model (absent before split version 3: then 2 and 1)."""
    out = []
    policy = new.get("split", {}).get("policy")
    old_split, new_split = old.get("split_version", 2), new.get("split_version", 2)
    if old_split != new_split and old.get("split", {}).get("policy") == policy:
        keep = f"; `split: {{version: {old_split}}}` keeps the current test set" if policy == "stratified" and old_split == 2 else ""
        out.append(f"split version changed: {policy} v{old_split} -> v{new_split} "
                   f"(adding or removing documents no longer moves others; this once reassigns some{keep})")
    old_dev, new_dev = old.get("dev_carve_version", 1), new.get("dev_carve_version", 1)
    if old_dev != new_dev:
        out.append(f"dev carve changed: v{old_dev} -> v{new_dev} (stable under additions and removals)")
    if old.get("content_version") != new.get("content_version"):
        out.append("data fingerprints now follow document content, not file bytes (one-time retrain)")
    return out


def _data_reason(p: ProjectInputs) -> str:
    if p.data_changes is not None:
        c = p.data_changes
        counts = f"{c['added']} documents added, {c['removed']} removed, {c['relabeled']} relabeled"
        if not any(c.values()):
            return ASSIGNMENT_ONLY
        return f"data changed: {counts}"
    if p.file_changes is not None:
        c = p.file_changes
        return f"data changed: {c['added']} files added, {c['removed']} removed, {c['modified']} modified"
    return "data changed"


def _label_changes(
    old: list[dict[str, Any]], new: list[dict[str, Any]], relabeled: dict[str, dict[str, int]] | None = None
) -> str:
    from nerspec.fingerprint import previous_names

    old_names = [label["name"] for label in old]
    new_names = [label["name"] for label in new]
    renamed: list[tuple[str, str]] = []
    merged: list[tuple[list[str], str]] = []
    for label in new:
        sources = [n for n in previous_names(label) if n in old_names]
        if label["name"] in old_names and sources:
            merged.append(([label["name"], *sources], label["name"]))  # merged into an existing type
        elif len(sources) == 1:
            renamed.append((sources[0], label["name"]))
        elif len(sources) > 1:
            merged.append((sources, label["name"]))
    renamed_new = {n for _, n in renamed} | {n for _, n in merged}
    renamed_old = {o for o, _ in renamed} | {o for sources, _ in merged for o in sources}
    added = [n for n in new_names if n not in old_names and n not in renamed_new]
    removed = [n for n in old_names if n not in new_names and n not in renamed_old]
    parts = []
    if added:
        parts.append("added " + ", ".join(added))
    if removed:
        parts.append("removed " + ", ".join(removed))
    if renamed:
        parts.append("renamed " + ", ".join(f"{o} -> {n}" for o, n in renamed))
    for sources, name in merged:
        parts.append(f"merged {', '.join(sources)} -> {name}{_relabeled_counts(sources, name, relabeled)}")
    if not parts and old_names != new_names and sorted(old_names) == sorted(new_names):
        parts.append("reordered")
    return "; ".join(parts)


def _relabeled_counts(sources: list[str], name: str, relabeled: dict[str, dict[str, int]] | None) -> str:
    """`` (19 instances relabeled: BorrowerName 12, GuarantorName 7)`` from the data's own label counts."""
    counts = (relabeled or {}).get(name)
    if counts is None:
        return ""
    moved = [(o, counts.get(o, 0)) for o in sources if o != name]
    total = sum(n for _, n in moved)
    return f" ({total} instances relabeled: {', '.join(f'{o} {n}' for o, n in moved)})"


def _dict_changes(old: dict[str, Any], new: dict[str, Any]) -> str:
    keys = sorted(set(old) | set(new))
    return ", ".join(f"{k} {old.get(k)} -> {new.get(k)}" for k in keys if old.get(k) != new.get(k))


# ---------------------------------------------------------------------------------------------------------
# rendering


SYMBOLS = {
    "train": ("+", "green"),
    "reuse": ("=", "cyan"),
    "deploy": ("~", "yellow"),
    "remove_deployment": ("-", "red"),
    "repair": ("!", "magenta"),
}
TITLES = {"train": "train", "reuse": "reuse", "deploy": "deploy", "remove_deployment": "remove", "repair": "repair"}


def describe(action: dict[str, Any]) -> str:
    kind = action["type"]
    if kind in ("train", "reuse"):
        return short(action["fingerprint"])
    if kind == "deploy":
        return f"{action['deployment']} {short(action['from'])} -> {short(action['to'])} (if gates pass)"
    if kind == "remove_deployment":
        return f"deployment {action['deployment']} (serves {short(action['fingerprint'])})"
    return f"{action['deployment']} -> {short(action['fingerprint'])}"


def serving(project: dict[str, Any]) -> str:
    """What a project's deployments serve, naming each one that does not serve the candidate."""
    candidate = project["fingerprint"]
    serves = project.get("serves") or {}
    if all(fp == candidate for fp in serves.values()):
        return f"serves {short(candidate)}"
    each = ", ".join(f"{name} serves {short(fp)}" for name, fp in serves.items())
    return f"{each} (the manifest and data ask for {short(candidate)})"


def render(plan: Plan, color: bool = False) -> str:
    import click

    def style(text: str, **kw: Any) -> str:
        return click.style(text, **kw) if color else text

    lines: list[str] = []
    for project in plan.projects:
        header = f"{project['name']} ({project['kind']})  {project['manifest_path']}"
        lines.append(style(header, bold=True))
        if not project["actions"]:
            lines.append(f"  {style('no changes', dim=True)}: {serving(project)}")
        rows = [(SYMBOLS[a["type"]], TITLES[a["type"]], describe(a), a["reasons"]) for a in project["actions"]]
        width = max((len(title) for _, title, _, _ in rows), default=0)
        what_width = max((len(what) for _, _, what, _ in rows), default=0)
        for (symbol, fg), title, what, reasons in rows:
            lead = style(f"{symbol} {title.ljust(width)}", fg=fg, bold=True)
            first, *rest = reasons or [""]
            lines.append(f"  {lead}  {what.ljust(what_width)}  {style(first, dim=True)}".rstrip())
            pad = " " * (2 + 2 + width + 2 + what_width + 2)
            lines.extend(f"{pad}{style(reason, dim=True)}" for reason in rest)
        for note in project.get("notes", []):
            lines.append(f"  {style('note', fg='blue')}: {note}")
        lines.append("")
    c = plan.counts()
    if plan.changes:
        summary = (
            f"Plan: {c['train']} to train, {c['reuse']} to reuse, {c['deploy']} to deploy (if gates pass), "
            f"{c['remove_deployment']} to remove, {c['repair']} to repair."
        )
    else:
        summary = "No changes. Deployments match the manifests."
    lines.append(style(summary, bold=True))
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------------
# collecting inputs (files, state, targets)


def test_key(data_fingerprint: str, training_inputs: dict[str, Any]) -> str:
    """Identifies a test set as scored: the split is a pure function of the data and the split settings, and the
    gold labels of the label schema (a rename or merge relabels them, so a model's cached score must not be reused)."""
    text = json.dumps([data_fingerprint, training_inputs.get("split"), training_inputs.get("labels")], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def manifest_sha256(project: Any) -> str:
    text = json.dumps(project.manifest.model_dump(mode="json"), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def artifact_files(artifact: Path, cache: Any) -> dict[str, str]:
    """relpath -> sha256 of every file of an artifact except evaluation.json (``nerspec.artifacts.file_hashes``)."""
    from nerspec.artifacts import file_hashes

    return file_hashes(artifact, cache)


def collect_inputs(
    projects: list[Any], paths: Any, store: Any, document_hashes: Any = None
) -> list[ProjectInputs]:
    """Everything ``compute_plan`` needs. ``document_hashes(project, rename) -> dict`` loads the corpus; it is
    only called when the data changed since the previous model (plan's added/removed/relabeled counts)."""
    from nerspec import fingerprint as fpmod
    from nerspec.deploy import local
    from nerspec.deploy.targets import TargetContext

    cache = fpmod.StatCache(paths.cache)
    # Model files are checked through a cache of their own: a few entries, not the data's 100,000.
    model_cache = fpmod.StatCache(paths.cache, scope="artifacts")
    targets = TargetContext(paths, store, model_cache)
    version_info = fpmod.versions()
    _check_targets(projects)
    out = []
    for project in projects:
        data_fp = fpmod.data_fingerprint(project, paths.cache, cache)
        inputs = fpmod.training_inputs(project)
        candidate = fpmod.model_fingerprint(project, data_fp, version_info)
        record = store.get_model(candidate)
        damaged = False
        orphan = False
        if record is not None:
            damaged = targets.model_damaged(candidate)
        else:  # an interrupted apply's complete artifact, here or (published) in the shared store
            orphan = local.is_complete(local.model_dir(paths, candidate)) or (
                targets.artifact_store.remote and targets.artifact_store.exists(candidate))
        recorded_deployments = store.deployments(project.name)
        previous = _previous(project, store, recorded_deployments, candidate)
        data_changes = file_changes = relabeled = None
        if record is None and previous is not None and previous.data_fingerprint != data_fp.sha256:
            data_changes, file_changes = _changes(project, store, previous, data_fp, document_hashes)
        if record is None and previous is not None:
            relabeled = _merge_counts(project, previous)
        observed = []
        declared = {d.name: d for d in project.manifest.spec.deployments}
        # Pointers the state has no row for (deleted by hand) are observed too: they serve a model.
        pointed = set(local.list_pointers(paths, project.name)) - set(declared) - set(recorded_deployments)
        for name in [*declared, *sorted((set(recorded_deployments) - set(declared)) | pointed)]:
            spec = declared.get(name)
            rec = recorded_deployments.get(name)
            target = spec.target.model_dump(mode="json") if spec is not None else (rec.target if rec else {"type": "local"})
            obs = ObservedDeployment(
                name=name,
                target=target,
                promote_from=spec.promote_from if spec is not None else None,
                desired=spec is not None,
                recorded=rec.fingerprint if rec else None,
            )
            _observe(obs, project.name, targets)
            history = store.history(project.name, name)
            if rec is None and history and history[-1].action != "remove":
                obs.drift.append("the state's record of this deployment was deleted outside nerspec")
            obs.served = sorted({h.to_fp for h in history if h.to_fp})
            obs.rolled_back_from = _rolled_back(history)
            observed.append(obs)
        out.append(
            ProjectInputs(
                name=project.name,
                kind=project.kind,
                manifest_path=_display(project.path),
                manifest_sha256=manifest_sha256(project),
                training_inputs=inputs,
                versions=version_info,
                data_fingerprint=data_fp.sha256,
                candidate=candidate,
                candidate_recorded=record.created if record is not None and not damaged else None,
                candidate_damaged=damaged,
                candidate_orphan=orphan,
                previous=previous,
                data_changes=data_changes,
                file_changes=file_changes,
                relabeled=relabeled,
                deployments=observed,
            )
        )
    # The stat cache only speeds up the next plan; a state directory that does not exist yet is not created
    # for it (plan is read-only).
    if Path(paths.root).is_dir():
        try:
            cache.save()
            model_cache.save()
        except OSError:
            pass
    return out


def _check_targets(projects: list[Any]) -> None:
    """Deployment targets the user configured wrongly (an unset token variable, a malformed URL) fail the plan
    with the field named, before anything is observed: apply would fail on them after training."""
    from nerspec.deploy.targets import target_for
    from nerspec.errors import ManifestError

    problems = []
    for project in projects:
        for index, deployment in enumerate(project.manifest.spec.deployments):
            for name, message in target_for(deployment.target).config_problems(deployment.target):
                problems.append(project.locate(("spec", "deployments", index, "target", name), message))
    if problems:
        count = len(problems)
        raise ManifestError(problems, summary=f"{count} deployment target error{'s' if count != 1 else ''}")


def _display(path: Path) -> str:
    from nerspec.manifest.load import display_path

    return display_path(path)


def artifact_intact(artifact: Path, recorded: dict[str, str], cache: Any) -> bool:
    """The artifact still has its ``meta.json`` and every file with the hash recorded (``nerspec.artifacts.intact``)."""
    from nerspec.artifacts import intact

    return intact(artifact, recorded, cache)


def _previous(project: Any, store: Any, deployments: dict[str, Any], candidate: str) -> PreviousModel | None:
    """The model the reasons compare against: the one in the first declared deployment, else the newest."""
    record = None
    for d in project.manifest.spec.deployments:
        if d.name in deployments:
            record = store.get_model(deployments[d.name].fingerprint)
            if record is not None:
                break
    if record is None:
        models = [m for m in store.models(project.name) if m.fingerprint != candidate]
        record = models[-1] if models else None
    if record is None:
        return None
    return PreviousModel(record.fingerprint, record.created, record.data_fingerprint, record.training_inputs, record.versions)


def _changes(
    project: Any, store: Any, previous: PreviousModel, data_fp: Any, document_hashes: Any
) -> tuple[dict[str, int] | None, dict[str, int] | None]:
    from nerspec.fingerprint import diff_documents, rename_map, training_inputs

    old_docs = store.document_hashes(previous.fingerprint)
    if old_docs is not None and document_hashes is not None:
        # The old hashes carry the labels' old names; hash the current corpus under those names, or a rename
        # would count every document carrying the renamed label as relabeled.
        rename = rename_map(previous.training_inputs.get("labels", []), training_inputs(project)["labels"])
        try:
            new_docs = document_hashes(project, rename)
        except Exception:  # unreadable data is validate's job; the plan falls back to file counts
            new_docs = None
        if new_docs is not None:
            return diff_documents(old_docs, new_docs), None
    old_files = _artifact_data_files(store, previous.fingerprint)
    if old_files is None:
        return None, None
    new_files = data_fp.files
    return None, {
        "added": sum(1 for f in new_files if f not in old_files),
        "removed": sum(1 for f in old_files if f not in new_files),
        "modified": sum(1 for f, h in new_files.items() if f in old_files and old_files[f] != h),
    }


def _merge_counts(project: Any, previous: PreviousModel) -> dict[str, dict[str, int]] | None:
    """For every type that merges previous types since ``previous``: how many instances the data labels with
    each of those names (read from the files, before ``renamed_from`` maps them). Only read when a merge exists."""
    from nerspec.fingerprint import previous_names

    old_names = {label["name"] for label in previous.training_inputs.get("labels", [])}
    merges = {label.name: [n for n in previous_names(label.model_dump()) if n in old_names]
              for label in project.manifest.spec.labels}
    merges = {name: sources for name, sources in merges.items() if len(sources) > 1 or (sources and name in old_names)}
    if not merges:
        return None
    from collections import Counter

    from nerspec.corpus.load import load_source
    from nerspec.errors import NerspecError

    counts: Counter[str] = Counter()
    try:
        for index, source in enumerate(project.manifest.spec.data):
            if source.path is None:
                continue  # never download in plan
            for doc in load_source(project, index):
                counts.update(s.label for s in doc.spans)
                counts.update(doc.labels)
    except NerspecError:
        return None  # unreadable data is validate's job
    return {name: {n: counts.get(n, 0) for n in sources} for name, sources in merges.items()}


def _artifact_data_files(store: Any, fingerprint: str) -> dict[str, str] | None:
    record = store.get_model(fingerprint)
    if record is None:
        return None
    if "://" in record.model_dir:
        return None  # in an object store: the counts fall back to "data changed"
    try:
        raw = json.loads((Path(record.model_dir) / "fingerprints.json").read_text())
    except (OSError, ValueError):
        return None
    files = raw.get("data_files") or raw.get("files")
    return files if isinstance(files, dict) else None


def _observe(obs: ObservedDeployment, project: str, targets: Any) -> None:
    """Ask the deployment's target what it serves (``nerspec.deploy.targets``: one table, no branches here)."""
    from nerspec.deploy.targets import target_for

    if obs.recorded is None and not obs.desired:
        if obs.target.get("type", "local") == "local":
            from nerspec.deploy import local

            pointer = local.read_pointer(targets.paths, project, obs.name)
            obs.actual = pointer.get("fingerprint") if pointer else None
            if pointer is not None:
                obs.drift.append("a pointer the state has no record of (its row was deleted outside nerspec)")
        return
    target_for(obs.target).observe(obs, project, targets)


def _rolled_back(history: list[Any]) -> list[str]:
    """Fingerprints a rollback moved away from and that no later deploy chose again."""
    away: set[str] = set()
    for h in history:
        if h.action == "rollback" and h.from_fp:
            away.add(h.from_fp)
        elif h.action in ("deploy", "swap", "rollback") and h.to_fp in away:
            away.discard(h.to_fp)
    return sorted(away)


def check_fresh(saved: Plan, current: Plan) -> None:
    if saved.inputs_sha256 != current.inputs_sha256:
        raise StalePlanError(
            "the saved plan is stale: the manifests, data or recorded state changed since it was made "
            f"(plan {saved.inputs_sha256[:12]}, now {current.inputs_sha256[:12]}). "
            "Run `nerspec plan -o plan.json` again and review it."
        )
