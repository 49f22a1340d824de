"""End to end with real (tiny) spaCy training and the real corpus reader, splitter and evaluator."""

from __future__ import annotations

from typing import Any

import pytest

from nerspec.apply import RunParts, apply, execute
from nerspec.deploy import local, rollback
from nerspec.errors import EXIT_GATE_FAILED, GateFailed
from tests.plan.test_plan import plan_of
from tests.tiny import make_docs, manifest

pytest.importorskip("spacy")
pytestmark = pytest.mark.slow


def test_lifecycle_with_real_training(tiny: Any, state: Any) -> None:
    real = RunParts()
    tiny.write_manifest(manifest(training={"max_steps": 20, "eval_frequency": 10, "patience": 0, "dev_fraction": 0.0}))
    first = apply(tiny.load(), state, parts=real)["projects"][0]
    assert first["evaluation"]["micro"]["f1"] is not None
    old = local.read_pointer(state, "tiny", "production")["fingerprint"]  # type: ignore[index]
    assert not plan_of(tiny, state, real).changes

    tiny.write_docs(make_docs(24)[1:] + make_docs(2, start=200))
    plan = plan_of(tiny, state, real)
    assert plan.projects[0].actions[0].reasons == ["data changed: 2 documents added, 1 removed, 0 relabeled"]
    second = apply(tiny.load(), state, parts=real)["projects"][0]
    new = local.read_pointer(state, "tiny", "production")["fingerprint"]  # type: ignore[index]
    assert new != old
    # No regression gate: the candidate is still compared with what production served, document by document,
    # and no regression gate appears from nowhere.
    assert second["baseline"]["deployment"] == "production" and second["baseline"]["fingerprint"] == old
    assert second["evaluation"]["changes"]["against"] == {"deployment": "production", "fingerprint": old}
    assert not any(r["name"].startswith("regression") for r in second["gates"]["results"])

    # A gate nobody can pass keeps production where it is. One training step leaves the model far from
    # perfect, so the 1.0 thresholds fail for certain (a perfect tiny model could otherwise pass them).
    tiny.write_manifest(
        manifest(
            entities=[{"name": "PERSON", "renamed_from": "PER"}, {"name": "LOC"}],
            training={"max_steps": 1, "eval_frequency": 1, "patience": 0, "dev_fraction": 0.0},
            gates={"micro_f1": {"min": 1.0}, "micro_precision": {"min": 1.0}, "micro_recall": {"min": 1.0},
                   "per_entity": {"*": {"f1": {"min": 1.0}}}},
        )
    )
    assert "entity schema changed: renamed PER -> PERSON" in plan_of(tiny, state, real).projects[0].actions[0].reasons
    run = execute(tiny.load(), state, parts=real)
    with pytest.raises(GateFailed) as failed:
        run.raise_for_failures()
    assert failed.value.exit_code == EXIT_GATE_FAILED
    message = str(failed.value)
    assert "tiny:" in message and "nothing deployed" in message
    assert "  - micro_f1 = " in message and "< min 1.000" in message
    result = run.data["projects"][0]
    assert result["gates"]["passed"] is False
    assert {"name": "micro_f1", "passed": False}.items() <= next(
        r for r in result["gates"]["results"] if r["name"] == "micro_f1"
    ).items()
    assert result["deploy"] == {"will_deploy": False, "deployed": [], "skipped_reason": "gates failed"}
    assert local.read_pointer(state, "tiny", "production")["fingerprint"] == new  # type: ignore[index]
    (project,) = tiny.load()
    rollback(state, project, "production")
    assert local.read_pointer(state, "tiny", "production")["fingerprint"] == old  # type: ignore[index]


def test_classification_lifecycle_with_real_training(
    tmp_path: Any, state: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    import yaml

    from nerspec.manifest.load import load_projects
    from tests.train.conftest import TOPICS, textcat_records

    monkeypatch.chdir(tmp_path)
    root = tmp_path / "projects" / "topics"
    root.mkdir(parents=True)
    classes = sorted(TOPICS)

    def write_docs(records: list[dict[str, Any]]) -> None:
        (root / "docs.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")

    spec = {
        "classes": [{"name": name} for name in classes],
        "multilabel": False,
        "data": [{"name": "main", "format": "jsonl", "path": "docs.jsonl"}],
        "split": {"policy": "random", "test_fraction": 0.25, "seed": 1},
        "training": {"max_steps": 20, "eval_frequency": 10, "patience": 0, "dev_fraction": 0.0},
        "gates": {"per_class": {"*": {"f1": {"min": 0.0}}},
                  "regression": {"against": "production", "max_drop": {"micro_f1": 1.0}}},
        "deployments": [{"name": "production"}],
    }
    manifest_data = {"apiVersion": "nerspec/v1", "kind": "TextClassificationProject",
                     "metadata": {"name": "topics", "language": "en"}, "spec": spec}
    (root / "nerspec.yaml").write_text(yaml.safe_dump(manifest_data, sort_keys=False), encoding="utf-8")
    records = textcat_records(48, multilabel=False)
    write_docs(records)
    real = RunParts()

    def plan() -> Any:
        from nerspec.apply import make_plan
        from nerspec.state import open_store

        store = open_store(state)
        try:
            return make_plan(load_projects([root]), state, store, real)
        finally:
            store.close()

    first = apply(load_projects([root]), state, parts=real)["projects"][0]
    assert first["kind"] == "TextClassificationProject" and "per_class" in first["evaluation"]
    old = local.read_pointer(state, "topics", "production")["fingerprint"]  # type: ignore[index]
    assert not plan().changes

    relabeled = dict(records[0], labels=[c for c in classes if c not in records[0]["labels"]][:1])
    write_docs([relabeled, *records[2:], *textcat_records(52, multilabel=False)[48:]])
    actions = plan().projects[0].actions
    assert [a.type for a in actions] == ["train", "deploy"]
    assert actions[0].reasons == ["data changed: 4 documents added, 1 removed, 1 relabeled"]

    second = apply(load_projects([root]), state, parts=real)["projects"][0]
    new = local.read_pointer(state, "topics", "production")["fingerprint"]  # type: ignore[index]
    assert new != old and second["deploy"]["deployed"] == [{"deployment": "production", "from": old, "to": new}]
    results = second["gates"]["results"]
    per_class = [r for r in results if r["name"].startswith("per_class.")]
    assert {r["label"] for r in per_class} == set(classes)
    assert all(r["passed"] and r["value"] is not None and not r.get("skipped") for r in per_class)
    assert second["baseline"]["fingerprint"] == old
    assert any(r["name"] == "regression.micro_f1" and not r.get("skipped") for r in results)
    # What changed, document by document, against the model that was deployed.
    changes = second["evaluation"]["changes"]
    assert changes["against"] == {"deployment": "production", "fingerprint": old}
    before = {d["id"]: d["mismatch"] for d in second["baseline"]["evaluation"]["documents"]}
    flips = [d for d in second["evaluation"]["documents"] if d["id"] in before and d["mismatch"] != before[d["id"]]]
    assert changes["newly_wrong"] + changes["newly_right"] == len(flips)
    assert "changes" not in first["evaluation"] and first["evaluation"]["calibration"]["items"] > 0
    # No dev carve (dev_fraction 0): no calibration is fitted, and the artifact says why.
    assert second["model"]["calibration"]["method"] == "none" and "no dev carve" in second["model"]["calibration"]["reason"]
    # evaluate --json: the old model evaluated against what is deployed now (the new one).
    from nerspec.model_scoring import evaluate_project

    evaluation = evaluate_project(root, state.models / old, state, ci_resamples=10).to_json()
    assert evaluation["changes"]["against"] == {"deployment": "production", "fingerprint": new}
    assert evaluation["changes"]["newly_wrong"] == changes["newly_right"]
    assert evaluation["changes"]["newly_right"] == changes["newly_wrong"]
    assert evaluate_project(root, None, state, ci_resamples=10).changes is None  # the deployed model itself
