"""Plans from the fake run parts: reasons for every kind of change, snapshots via data_regression."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from nerspec.apply import make_plan
from nerspec.errors import StalePlanError
from nerspec.plan import Plan, check_fresh, render
from nerspec.state import open_store
from tests.tiny import make_docs, manifest


def plan_of(tiny: Any, state: Any, parts: Any, retry: frozenset[str] = frozenset()) -> Plan:
    store = open_store(state)
    try:
        return make_plan(tiny.load(), state, store, parts, retry=retry)
    finally:
        store.close()


def stable(plan: Plan) -> dict[str, Any]:
    """The plan JSON with fingerprints replaced by stable names (they embed library versions)."""
    data = plan.to_json()
    text = json.dumps(data)
    names: dict[str, str] = {}
    for project in data["projects"]:
        for fp in [project["fingerprint"], *[a.get(k) for a in project["actions"] for k in ("fingerprint", "from", "to")]]:
            if fp and fp not in names:
                names[fp] = f"<fp{len(names)}>"
    for fp, name in sorted(names.items(), key=lambda kv: -len(kv[0])):
        text = text.replace(fp, name).replace(fp[:12], name)
    out = json.loads(text)
    out.pop("inputs_sha256")
    for project in out["projects"]:
        project.pop("data_fingerprint")
    return out


def test_first_plan_trains_and_deploys(tiny: Any, state: Any, parts: Any, data_regression: Any) -> None:
    plan = plan_of(tiny, state, parts)
    assert plan.changes
    assert [a.type for a in plan.projects[0].actions] == ["train", "deploy"]
    data_regression.check(stable(plan))


def test_noop_after_apply(tiny: Any, state: Any, parts: Any, run_apply: Any) -> None:
    run_apply()
    plan = plan_of(tiny, state, parts)
    assert not plan.changes
    assert "No changes" in render(plan)


def test_data_change_reasons(tiny: Any, state: Any, parts: Any, run_apply: Any, data_regression: Any) -> None:
    run_apply()
    docs = make_docs(24)
    docs = docs[2:] + make_docs(3, start=100)  # 2 removed, 3 added
    docs[0]["spans"] = docs[0]["spans"][:1]  # 1 relabeled
    tiny.write_docs(docs)
    plan = plan_of(tiny, state, parts)
    train = plan.projects[0].actions[0]
    assert train.type == "train"
    assert "data changed: 3 documents added, 2 removed, 1 relabeled" in train.reasons
    data_regression.check(stable(plan))


def test_schema_rename_and_settings_reasons(tiny: Any, state: Any, parts: Any, run_apply: Any, data_regression: Any) -> None:
    run_apply()
    tiny.write_manifest(
        manifest(
            entities=[{"name": "PERSON", "renamed_from": "PER"}, {"name": "LOC"}, {"name": "ORG"}],
            training={"max_steps": 40, "eval_frequency": 10, "patience": 0},
            split={"test_fraction": 0.3},
        )
    )
    plan = plan_of(tiny, state, parts)
    reasons = plan.projects[0].actions[0].reasons
    assert "entity schema changed: added ORG; renamed PER -> PERSON" in reasons
    assert any(r.startswith("training settings changed: max_steps 30 -> 40") for r in reasons)
    assert any(r.startswith("split settings changed: test_fraction 0.2 -> 0.3") for r in reasons)
    data_regression.check(stable(plan))


def test_reuse_identical_fingerprint(tiny: Any, state: Any, parts: Any, run_apply: Any) -> None:
    run_apply()
    tiny.write_docs(make_docs(30))
    run_apply()
    tiny.write_docs(make_docs(24))  # back to the first data: that model exists
    actions = plan_of(tiny, state, parts).projects[0].actions
    assert [a.type for a in actions] == ["reuse", "deploy"]
    result = run_apply()
    assert result["projects"][0]["deploy"]["deployed"][0]["to"] == actions[0].fingerprint


def test_removed_deployment(tiny: Any, state: Any, parts: Any, run_apply: Any) -> None:
    tiny.write_manifest(manifest(deployments=[{"name": "production"}, {"name": "staging"}]))
    run_apply()
    tiny.write_manifest(manifest())
    plan = plan_of(tiny, state, parts)
    assert [(a.type, getattr(a, "deployment", None)) for a in plan.projects[0].actions] == [("remove_deployment", "staging")]
    assert "- remove" in render(plan)
    run_apply()
    assert not (state.registry / "tiny" / "staging.json").exists()
    assert not plan_of(tiny, state, parts).changes


def test_drift_pointer_deleted_is_repaired(tiny: Any, state: Any, parts: Any, run_apply: Any) -> None:
    run_apply()
    pointer = state.registry / "tiny" / "production.json"
    pointer.unlink()
    actions = plan_of(tiny, state, parts).projects[0].actions
    assert [a.type for a in actions] == ["repair"]
    assert actions[0].reasons == ["pointer file deleted outside nerspec"]
    run_apply()
    assert pointer.exists()
    assert not plan_of(tiny, state, parts).changes


def test_drift_model_files_changed_retrains(tiny: Any, state: Any, parts: Any, run_apply: Any) -> None:
    result = run_apply()
    fp = result["projects"][0]["model"]["fingerprint"]
    (state.models / fp / "model" / "weights.bin").write_bytes(b"tampered")
    actions = plan_of(tiny, state, parts).projects[0].actions
    assert [a.type for a in actions] == ["train", "deploy"]
    assert "changed or deleted outside nerspec" in actions[0].reasons[0]
    run_apply()
    assert not plan_of(tiny, state, parts).changes


def test_promote_from_waits_for_staging(tiny: Any, state: Any, parts: Any, run_apply: Any) -> None:
    tiny.write_manifest(manifest(deployments=[{"name": "staging"}, {"name": "production", "promote_from": "staging"}]))
    plan = plan_of(tiny, state, parts)
    assert [getattr(a, "deployment", None) for a in plan.projects[0].actions] == [None, "staging"]
    assert "production waits" in plan.projects[0].notes[0]
    run_apply()
    actions = plan_of(tiny, state, parts).projects[0].actions
    assert [(a.type, getattr(a, "deployment", None)) for a in actions] == [("reuse", None), ("deploy", "production")]
    run_apply()
    assert not plan_of(tiny, state, parts).changes


def test_saved_plan_refused_when_stale(tiny: Any, state: Any, parts: Any, run_apply: Any) -> None:
    saved = Plan.from_json(json.loads(json.dumps(plan_of(tiny, state, parts).to_json())))
    check_fresh(saved, plan_of(tiny, state, parts))  # nothing changed: fine
    tiny.write_docs(make_docs(25))
    with pytest.raises(StalePlanError, match="stale"):
        run_apply(saved_plan=saved)


def test_plan_json_shape_and_render_alignment(tiny: Any, state: Any, parts: Any) -> None:
    plan = plan_of(tiny, state, parts)
    data = plan.to_json()
    assert set(data) >= {"changes", "projects"}
    assert set(data["projects"][0]) >= {"name", "actions"}
    text = render(plan)
    lines = [l for l in text.splitlines() if l.startswith("  + ") or l.startswith("  ~ ")]  # noqa: E741
    # Columns line up: the reasons start at the same offset on every action line.
    assert len({l.index("no model yet") if "no model yet" in l else l.index("new deployment") for l in lines}) == 1  # noqa: E741
    assert "\x1b[" not in text and "\x1b[" in render(plan, color=True)


def test_rename_with_a_data_change_counts_only_the_changed_document(
    tiny: Any, state: Any, parts: Any, run_apply: Any
) -> None:
    run_apply()
    tiny.write_manifest(manifest(entities=[{"name": "PERSON", "renamed_from": "PER"}, {"name": "LOC"}]))
    docs = make_docs(24)  # every document carries PER; the rename alone must not count them
    docs[5]["spans"] = docs[5]["spans"][:1]  # the one real edit
    tiny.write_docs(docs)
    reasons = plan_of(tiny, state, parts).projects[0].actions[0].reasons
    assert "entity schema changed: renamed PER -> PERSON" in reasons
    assert "data changed: 0 documents added, 0 removed, 1 relabeled" in reasons


def test_drift_pointer_naming_another_model_dir_is_repaired(tiny: Any, state: Any, parts: Any, run_apply: Any) -> None:
    import json

    run_apply()
    pointer_file = state.registry / "tiny" / "production.json"
    pointer = json.loads(pointer_file.read_text())
    assert not Path(pointer["model_dir"]).is_absolute()  # relative to the state root: a moved state still works
    pointer["model_dir"] = str(state.models / "elsewhere")  # same fingerprint, other weights
    pointer_file.write_text(json.dumps(pointer))
    actions = plan_of(tiny, state, parts).projects[0].actions
    assert [a.type for a in actions] == ["repair"]
    assert "names model_dir" in actions[0].reasons[0]


def test_reformat_and_reorder_plan_no_changes(tiny: Any, state: Any, parts: Any, run_apply: Any, data_regression: Any) -> None:
    run_apply()
    docs = make_docs(24)
    lines = [json.dumps(dict(reversed(list(d.items()))), separators=(" ,  ", " : ")) for d in reversed(docs)]
    (tiny.dir / "data" / "docs.jsonl").write_text("\n\n".join(lines) + "\n")
    plan = plan_of(tiny, state, parts)
    assert not plan.changes, plan.to_json()
    data_regression.check(stable(plan))


def test_merge_plan_names_the_merged_types_and_counts(tiny: Any, state: Any, parts: Any, run_apply: Any,
                                                      data_regression: Any) -> None:
    tiny.write_manifest(manifest(entities=[{"name": "PER"}, {"name": "LOC"}, {"name": "ORG"}]))
    docs = make_docs(24)
    for doc in docs[::3]:
        doc["spans"][1][2] = "ORG"  # 8 of the LOC instances become ORG
    tiny.write_docs(docs)
    run_apply()
    tiny.write_manifest(manifest(entities=[{"name": "PER"}, {"name": "Place", "renamed_from": ["LOC", "ORG"]}]))
    plan = plan_of(tiny, state, parts)
    reasons = plan.projects[0].actions[0].reasons
    assert "entity schema changed: merged LOC, ORG -> Place (24 instances relabeled: LOC 16, ORG 8)" in reasons
    data_regression.check(stable(plan))
    run_apply()
    assert not plan_of(tiny, state, parts).changes


def test_a_pointer_that_disagrees_with_the_state_is_drift_and_predict_serves_the_state(
    tiny: Any, state: Any, parts: Any, run_apply: Any
) -> None:
    import json
    import shutil

    from nerspec.predict import resolve

    deployed = run_apply()["projects"][0]["model"]["fingerprint"]
    pointer_file = state.registry / "tiny" / "production.json"
    pointer = json.loads(pointer_file.read_text())
    other = "0" * 24
    shutil.copytree(state.models / deployed, state.models / other)
    meta = json.loads((state.models / other / "meta.json").read_text())
    (state.models / other / "meta.json").write_text(json.dumps({**meta, "fingerprint": other}))
    pointer_file.write_text(json.dumps({**pointer, "fingerprint": other, "model_dir": f"models/{other}"}))
    assert resolve(tiny.dir, "production", state.root) == state.models / deployed  # the state's record
    (repair,) = plan_of(tiny, state, parts).projects[0].actions
    assert repair.type == "repair" and "pointer changed outside nerspec" in repair.reasons[0]


def test_a_pointer_redirected_to_a_tampered_copy_is_drift_and_never_served(
    tiny: Any, state: Any, parts: Any, run_apply: Any, tmp_path: Path
) -> None:
    import json
    import shutil

    from nerspec.predict import resolve

    deployed = run_apply()["projects"][0]["model"]["fingerprint"]
    copy = tmp_path / "copy" / deployed  # same fingerprint, same meta.json, other weights
    shutil.copytree(state.models / deployed, copy)
    next(p for p in sorted((copy / "model").rglob("*")) if p.is_file()).write_bytes(b"tampered")
    pointer_file = state.registry / "tiny" / "production.json"
    pointer_file.write_text(json.dumps({**json.loads(pointer_file.read_text()), "model_dir": str(copy)}))
    (repair,) = plan_of(tiny, state, parts).projects[0].actions
    assert repair.type == "repair" and "names model_dir" in repair.reasons[0]
    assert resolve(tiny.dir, "production", state.root) == state.models / deployed
    run_apply()  # the repair rewrites the pointer from the state
    assert json.loads(pointer_file.read_text())["model_dir"] == f"models/{deployed}"
    assert not plan_of(tiny, state, parts).changes


def test_apply_hashes_model_files_in_full_before_deploying(tiny: Any, state: Any, parts: Any, run_apply: Any,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from nerspec.deploy import rollback
    from nerspec.errors import DeployError

    first = run_apply()["projects"][0]["model"]["fingerprint"]
    tiny.write_docs(make_docs(30))
    run_apply()
    weights = next(p for p in sorted((state.models / first / "model").rglob("*")) if p.is_file())
    st = weights.stat()
    data = bytearray(weights.read_bytes())
    data[0] ^= 0xFF
    weights.write_bytes(bytes(data))
    os.utime(weights, ns=(st.st_atime_ns, st.st_mtime_ns))  # same size and mtime: the stat cache is fooled
    with pytest.raises(DeployError, match="changed or deleted outside nerspec"):
        rollback(state, tiny.load()[0], "production")
    tiny.write_docs(make_docs(24))  # the manifest and data ask for `first` again: apply must not deploy it
    # A stat cache fooled by a rewrite that kept size, mtime and inode (files older than the racy window):
    monkeypatch.setattr("nerspec.deploy.targets.TargetContext.model_damaged", lambda self, fingerprint: False)
    assert [a.type for a in plan_of(tiny, state, parts).projects[0].actions] == ["reuse", "deploy"]
    with pytest.raises(DeployError, match="do not match their recorded hashes"):
        run_apply()
    assert local_fingerprint(state) != first


def local_fingerprint(state: Any) -> str:
    import json

    return json.loads((state.registry / "tiny" / "production.json").read_text())["fingerprint"]


def test_split_version_bump_retrains_only_when_the_assignment_moves(tiny: Any, state: Any, parts: Any,
                                                                    run_apply: Any, monkeypatch: Any) -> None:
    import nerspec.corpus.split as split

    current, original = dict(split.SPLIT_VERSIONS), split.unit_hash
    # An "old algorithm" (version - 1) that assigns differently trained the deployed model.
    monkeypatch.setattr(split, "SPLIT_VERSIONS", {**current, "random": current["random"] - 1})
    monkeypatch.setattr(split, "unit_hash", lambda doc_id, seed, salt="split": original(doc_id, seed + 1, salt))
    run_apply()
    monkeypatch.setattr(split, "SPLIT_VERSIONS", current)
    monkeypatch.setattr(split, "unit_hash", original)
    (train, _) = plan_of(tiny, state, parts).projects[0].actions
    assert train.type == "train"
    assert any(r.startswith(f"split version changed: random v{current['random'] - 1} -> v{current['random']}")
               for r in train.reasons), train.reasons
    run_apply()
    # A later version that assigns every document as before: nothing to retrain, the test set is the same.
    monkeypatch.setattr(split, "SPLIT_VERSIONS", {**current, "random": current["random"] + 1})
    assert not plan_of(tiny, state, parts).changes


def test_a_merge_or_rename_gives_the_test_set_a_new_key() -> None:
    """The deployed model's cached score (old gold names) must not be reused after the schema relabels gold."""
    from nerspec.plan import test_key as key_of

    before = {"split": {"policy": "random"}, "labels": [{"name": "A", "renamed_from": None}, {"name": "B", "renamed_from": None}]}
    merged = {**before, "labels": [{"name": "P", "renamed_from": ["A", "B"]}]}
    assert key_of("data", before) == key_of("data", dict(before)) != key_of("data", merged)


def test_pinning_stratified_version_2_keeps_the_test_set(tiny: Any, state: Any, parts: Any, run_apply: Any,
                                                         monkeypatch: Any) -> None:
    import nerspec.corpus.split as split

    tiny.write_manifest(manifest(split={"policy": "stratified"}))
    # What an existing project recorded before version 3: the version-2 assignment under "stratified v2".
    monkeypatch.setattr(split, "SPLIT_VERSIONS", {**split.SPLIT_VERSIONS, "stratified": 2})
    tiny.write_manifest(manifest(split={"policy": "stratified", "version": 2}))
    run_apply()
    monkeypatch.undo()
    tiny.write_manifest(manifest(split={"policy": "stratified"}))
    reasons = [r for a in plan_of(tiny, state, parts).projects[0].actions for r in a.reasons]
    # The newest version (4) reassigns some of these 24 documents: plan says so and how to keep the current test set.
    assert "split version changed: stratified v2 -> v4 (every class keeps its test share within one document, " \
           "and recorded sides never move; this once reassigns some; `split: {version: 2}` keeps the current test set)" \
           in reasons, reasons
    tiny.write_manifest(manifest(split={"policy": "stratified", "version": 2}))
    assert not plan_of(tiny, state, parts).changes  # pinned: the same test set, the same model


def test_moving_documents_between_sources_plans_no_changes(tiny: Any, state: Any, parts: Any, run_apply: Any) -> None:
    run_apply()
    docs = make_docs(24)
    tiny.write_docs(docs[:15])
    (tiny.dir / "data" / "more.jsonl").write_text("".join(json.dumps(d) + "\n" for d in docs[15:]))
    tiny.write_manifest(manifest(data=[{"name": "main", "format": "jsonl", "path": "data/docs.jsonl"},
                                       {"name": "more", "format": "jsonl", "path": "data/more.jsonl"}]))
    assert not plan_of(tiny, state, parts).changes


def test_plan_names_hand_written_pointers_the_state_never_recorded(
    tiny: Any, state: Any, parts: Any, run_apply: Any
) -> None:
    from click.testing import CliRunner

    from nerspec.cli import cli

    deployed = run_apply()["projects"][0]["model"]["fingerprint"]
    for project, deployment in (("tiny", "extra"), ("evilproj", "production")):
        pointer = state.registry / project / f"{deployment}.json"
        pointer.parent.mkdir(parents=True, exist_ok=True)
        pointer.write_text(json.dumps({"project": project, "deployment": deployment, "fingerprint": deployed,
                                       "model_dir": f"models/{deployed}"}))
    (removal,) = [a for a in plan_of(tiny, state, parts).projects[0].actions if a.type == "remove_deployment"]
    assert removal.deployment == "extra" and "the state never recorded" in removal.reasons[0]
    result = CliRunner().invoke(cli, ["plan", str(tiny.dir), "--state", str(state.root), "--json"])
    assert result.exit_code == 0, result.output
    (warning,) = [w for w in json.loads(result.stdout)["warnings"] if "evilproj" in w]
    assert warning.startswith(str(state.registry / "evilproj" / "production.json"))
    assert "a pointer the state never recorded" in warning and "never served" in warning
    run_apply()  # the planned project's stray pointer is removed; the other project's is only named
    assert not (state.registry / "tiny" / "extra.json").exists()
