"""Why a model is trained: the reasons the plan prints, compared between the previous model and the candidate
(pure: from ``ProjectInputs`` only)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from nerspec.kinds import kind_of
from nerspec.plan.inputs import ProjectInputs, short

if TYPE_CHECKING:
    from nerspec.state.sql import JsonObject


def train_reasons(p: ProjectInputs) -> list[str]:
    if p.candidate_damaged:
        return [f"the artifact of {short(p.candidate)} was changed or deleted outside nerspec; training it again"]
    prev = p.previous
    if prev is None:
        return ["no model yet"]
    reasons: list[str] = []
    old, new = prev.training_inputs, p.training_inputs
    noun = kind_of(p.kind).schema_noun
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
    pretraining = _pretraining_reason(old, new)
    if pretraining:
        reasons.append(pretraining)
    for key in ("language", "multilabel", "kind", "training_config_sha256"):
        if old.get(key) != new.get(key):
            reasons.append(f"{key} changed: {old.get(key)} -> {new.get(key)}")
    changed_versions = _dict_changes(prev.versions, p.versions)
    if changed_versions:
        reasons.append(f"versions changed: {changed_versions}")
    return reasons or [f"fingerprint changed ({short(prev.fingerprint)} -> {short(p.candidate)})"]


def _pretraining_reason(old: JsonObject, new: JsonObject) -> str | None:
    """Which raw-text sources changed the pretraining (a model recorded before per-source digests: just that)."""
    if old.get("pretrain_data") == new.get("pretrain_data"):
        return None
    if old.get("pretrain_data") is None or new.get("pretrain_data") is None:
        return None  # pretraining switched on or off: the training settings line says so
    before, after = old.get("pretrain_sources"), new.get("pretrain_sources") or {}
    if before is None:
        return "pretraining text changed"
    parts = [f"{name} changed" for name in sorted(set(before) & set(after)) if before[name] != after[name]]
    parts += [f"{name} added" for name in sorted(set(after) - set(before))]
    parts += [f"{name} removed" for name in sorted(set(before) - set(after))]
    return f"pretraining text changed: {', '.join(parts) or 'sources reordered'}"


ASSIGNMENT_ONLY = "data changed: documents unchanged, their train/test assignment changed"


def _split_version_reasons(old: JsonObject, new: JsonObject) -> list[str]:
    """Algorithm versions recorded with the previous model (absent before split version 3: then 2 and 1)."""
    out = []
    policy = new.get("split", {}).get("policy")
    old_split, new_split = old.get("split_version", 2), new.get("split_version", 2)
    if old_split != new_split and old.get("split", {}).get("policy") == policy:
        stratified = policy == "stratified"
        keep = f"; `split: {{version: {old_split}}}` keeps the current test set" if stratified and old_split in (2, 3) else ""
        why = ("every class keeps its test share within one document, and recorded sides never move"
               if stratified and new_split == 4 else "adding or removing documents no longer moves others")
        out.append(f"split version changed: {policy} v{old_split} -> v{new_split} ({why}; this once reassigns some{keep})")
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
    old: list[JsonObject], new: list[JsonObject], relabeled: dict[str, dict[str, int]] | None = None
) -> str:
    from nerspec.fingerprints.documents import previous_names

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


def _dict_changes(old: Mapping[str, object], new: Mapping[str, object]) -> str:
    keys = sorted(set(old) | set(new))
    return ", ".join(f"{k} {old.get(k)} -> {new.get(k)}" for k in keys if old.get(k) != new.get(k))
