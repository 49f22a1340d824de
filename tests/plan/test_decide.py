"""The pure decision, table-driven: ``ProjectInputs`` built by hand (no training, no files, no state store) ->
the typed actions, notes and what each deployment serves; and the JSON boundary round-trips every plan."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from nerspec.plan import (
    Deploy,
    Hold,
    ObservedDeployment,
    Plan,
    PreviousModel,
    ProjectInputs,
    RemoveDeployment,
    Repair,
    Reuse,
    Train,
    compute_plan,
    render,
)

OLD, NEW, OTHER = "a" * 24, "b" * 24, "c" * 24
HOLD = Hold(NEW, "2026-02-02T00:00:00+00:00", "smoke check failed", "s1")
LABELS = [{"name": "PER", "renamed_from": []}, {"name": "LOC", "renamed_from": []}]
INPUTS = {"labels": LABELS, "split": {"policy": "random", "test_fraction": 0.2}, "training": {"max_steps": 20}}


def project(*deployments: ObservedDeployment, **changes: Any) -> ProjectInputs:
    """A project whose manifest and data ask for NEW, trained before (recorded) unless said otherwise."""
    base = ProjectInputs(
        name="tiny", kind="NERProject", manifest_path="projects/tiny/nerspec.yaml", manifest_sha256="m",
        training_inputs=INPUTS, versions={"spacy": "3.8"}, data_fingerprint="d2", candidate=NEW,
        candidate_recorded="2026-01-01T00:00:00Z", deployments=list(deployments),
    )
    return replace(base, **changes)


def prod(**changes: Any) -> ObservedDeployment:
    return replace(ObservedDeployment("production", {"type": "local"}), **changes)


def previous(**changes: Any) -> PreviousModel:
    return replace(PreviousModel(OLD, "2025-12-01T00:00:00Z", "d1", INPUTS, {"spacy": "3.8"}), **changes)


NOT_TRAINED = {"candidate_recorded": None}
CASES: list[tuple[str, ProjectInputs, list[Any], list[str]]] = [
    ("first apply: train, deploy", project(prod(), **NOT_TRAINED),
     [Train(NEW, ["no model yet"]), Deploy("production", "local", None, NEW, ["new deployment"])], []),
    ("serves the candidate: nothing to do", project(prod(recorded=NEW, actual=NEW)), [], []),
    ("no deployments: train anyway (CI evaluates it)", project(**NOT_TRAINED), [Train(NEW, ["no model yet"])], []),
    ("model trained before: reuse, deploy", project(prod(recorded=OLD, actual=OLD)),
     [Reuse(NEW, ["identical fingerprint trained 2026-01-01T00:00:00Z; not training it again"]),
      Deploy("production", "local", OLD, NEW, ["the manifest and data ask for a different model"])], []),
    ("pointer drifted from the candidate: repair", project(prod(recorded=NEW, drift=["pointer file deleted"])),
     [Repair("production", "local", NEW, ["pointer file deleted"])], []),
    ("undeclared: remove", project(prod(recorded=NEW), prod(name="staging", desired=False, recorded=OLD)),
     [RemoveDeployment("staging", OLD, ["no longer declared in the manifest"])], []),
    ("undeclared and gone everywhere: nothing", project(prod(recorded=NEW), prod(name="staging", desired=False)), [], []),
    ("deployed candidate damaged: train again, redeploy",
     project(prod(recorded=NEW, actual=NEW), candidate_damaged=True, candidate_recorded=None),
     [Train(NEW, [f"the artifact of {NEW[:12]} was changed or deleted outside nerspec; training it again"]),
      Deploy("production", "local", NEW, NEW, ["the deployed model's files were changed or deleted outside nerspec"])],
     []),
    ("an interrupted apply's artifact: adopt it", project(prod(recorded=OLD), candidate_orphan=True, **NOT_TRAINED),
     [Reuse(NEW, ["complete artifact this state never recorded (left by an interrupted apply, or trained by another "
                  "state using the same models); recording it instead of training"]),
      Deploy("production", "local", OLD, NEW, ["the manifest and data ask for a different model"])], []),
    ("a shared state beside the demo's: adopt what that state trained and deployed, saying so",
     project(prod(actual=NEW, actual_origin=".nerspec/state.db"), candidate_orphan=True,
             candidate_origin=".nerspec/state.db", **NOT_TRAINED),
     [Reuse(NEW, ["trained by the state .nerspec/state.db on this machine (`make demo`, or an apply with that state); "
                  "recording it in this state instead of training"]),
      Deploy("production", "local", None, NEW, ["new deployment", f"this machine's pointer serves {NEW[:12]}, "
                                                "deployed by the state .nerspec/state.db; recording it"])], []),
    ("another state's pointer to another model: replaced, saying whose it was",
     project(prod(actual=OLD, actual_origin=".nerspec/state.db")),
     [Reuse(NEW, ["identical fingerprint trained 2026-01-01T00:00:00Z; not training it again"]),
      Deploy("production", "local", None, NEW, ["new deployment", f"this machine's pointer serves {OLD[:12]}, "
                                                "deployed by the state .nerspec/state.db: replaced"])], []),
    ("another state's undeclared pointer: not this state's to remove",
     project(prod(recorded=NEW, actual=NEW), prod(name="demo", desired=False, actual=OLD,
                                                   actual_origin=".nerspec/state.db")),
     [], [f"demo: this machine's pointer serves {OLD[:12]}, deployed by the state .nerspec/state.db; this state does "
          "not record demo, so it is left alone"]),
    ("killed after the switch: record what the target serves", project(prod(recorded=OLD, actual=NEW)),
     [Reuse(NEW, ["identical fingerprint trained 2026-01-01T00:00:00Z; not training it again"]),
      Deploy("production", "local", OLD, NEW, ["the manifest and data ask for a different model",
                                              f"the target already serves {NEW[:12]} (an interrupted apply); recording it"])],
     []),
    ("state row deleted by hand: deploy, recording what is served",
     project(prod(actual=NEW, drift=["the state's record of this deployment was deleted outside nerspec"])),
     [Reuse(NEW, ["identical fingerprint trained 2026-01-01T00:00:00Z; not training it again"]),
      Deploy("production", "local", None, NEW, ["the state's record of this deployment was deleted outside nerspec",
                                               f"the target serves {NEW[:12]}; recording it"])], []),
    ("rolled back: held back while nothing changes", project(prod(recorded=OLD, holds=[HOLD], settings="s1")), [],
     [f"production: held back: {NEW[:12]} was rolled back (smoke check failed, 2026-02-02T00:00:00+00:00); "
      f"production serves {OLD[:12]} while the manifest asks for {NEW[:12]}. apply keeps it until the model or "
      "production's settings change; `nerspec apply --retry production` deploys it again"]),
    ("rolled back, then the deployment's settings changed (a fixed smoke check): deploy again",
     project(prod(recorded=OLD, holds=[HOLD], settings="s2")),
     [Reuse(NEW, ["identical fingerprint trained 2026-01-01T00:00:00Z; not training it again"]),
      Deploy("production", "local", OLD, NEW, [f"production's settings changed since {NEW[:12]} was rolled back "
                                              "(smoke check failed, 2026-02-02T00:00:00+00:00): deploying it again"])],
     []),
    ("rolled back, retried as asked", project(prod(recorded=OLD, holds=[HOLD], settings="s1", retry=True)),
     [Reuse(NEW, ["identical fingerprint trained 2026-01-01T00:00:00Z; not training it again"]),
      Deploy("production", "local", OLD, NEW, [f"retrying {NEW[:12]}, held back since it was rolled back "
                                              "(smoke check failed), as asked"])], []),
    ("promote_from waits for staging", project(prod(name="staging", recorded=OLD), prod(recorded=OLD, promote_from="staging")),
     [Reuse(NEW, ["identical fingerprint trained 2026-01-01T00:00:00Z; not training it again"]),
      Deploy("staging", "local", OLD, NEW, ["the manifest and data ask for a different model"])],
     [f"production waits: {NEW[:12]} has not been served by staging yet (promote_from)"]),
    ("promote_from satisfied", project(prod(name="staging", recorded=NEW, served=[OLD, NEW]),
                                       prod(recorded=OLD, promote_from="staging")),
     [Reuse(NEW, ["identical fingerprint trained 2026-01-01T00:00:00Z; not training it again"]),
      Deploy("production", "local", OLD, NEW, ["the manifest and data ask for a different model"])], []),
    ("unreachable remote: said, not drift", project(prod(recorded=NEW, target={"type": "http"}, unreachable="http://x: timeout")),
     [], [f"production: remote http://x: timeout; cannot tell what it serves (recorded {NEW[:12]})"]),
]


@pytest.mark.parametrize(("inputs", "actions", "notes"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_decision(inputs: ProjectInputs, actions: list[Any], notes: list[str]) -> None:
    (decided,) = compute_plan([inputs]).projects
    assert decided.actions == actions
    assert decided.notes == notes
    assert decided.fingerprint == NEW


def test_a_damaged_model_a_rollback_left_behind_is_a_repair_apply_refuses() -> None:
    inputs = project(prod(recorded=OLD, drift=["pointer changed"], artifact_damaged=True, served=[OLD, NEW],
                          rolled_back_from=[NEW]))
    (repair,) = compute_plan([inputs]).projects[0].actions
    assert isinstance(repair, Repair) and repair.damaged is True
    assert repair.reasons[0] == "pointer changed"
    assert f"apply cannot rebuild {OLD[:12]}" in repair.reasons[1] and f"`--to {NEW[:12]}`" in repair.reasons[1]


def test_serves_names_what_each_declared_deployment_serves() -> None:
    inputs = project(prod(recorded=OLD, actual=NEW), prod(name="staging", recorded=OLD),
                     prod(name="gone", desired=False, recorded=OLD))
    assert compute_plan([inputs]).projects[0].serves == {"production": NEW, "staging": OLD}


REASONS: list[tuple[str, dict[str, Any], list[str]]] = [
    ("documents counted", {"data_fingerprint": "d2", "data_changes": {"added": 2, "removed": 1, "relabeled": 0}},
     ["data changed: 2 documents added, 1 removed, 0 relabeled"]),
    ("files counted when document hashes are unknown",
     {"file_changes": {"added": 1, "removed": 0, "modified": 2}},
     ["data changed: 1 files added, 0 removed, 2 modified"]),
    ("label renamed", {"data_fingerprint": "d1", "training_inputs": {
        **INPUTS, "labels": [{"name": "PERSON", "renamed_from": ["PER"]}, LABELS[1]]}},
     ["entity schema changed: renamed PER -> PERSON"]),
    ("label added", {"data_fingerprint": "d1", "training_inputs": {**INPUTS, "labels": [*LABELS, {"name": "ORG"}]}},
     ["entity schema changed: added ORG"]),
    ("settings", {"data_fingerprint": "d1", "training_inputs": {**INPUTS, "training": {"max_steps": 40}}},
     ["training settings changed: max_steps 20 -> 40"]),
    ("library versions", {"data_fingerprint": "d1", "versions": {"spacy": "3.9"}},
     ["versions changed: spacy 3.8 -> 3.9"]),
    ("only the assignment changed, and the split settings say why",
     {"data_changes": {"added": 0, "removed": 0, "relabeled": 0},
      "training_inputs": {**INPUTS, "split": {"policy": "random", "test_fraction": 0.3}}},
     ["split settings changed: test_fraction 0.2 -> 0.3"]),
    ("nothing visible changed", {"data_fingerprint": "d1"}, [f"fingerprint changed ({OLD[:12]} -> {NEW[:12]})"]),
]


@pytest.mark.parametrize(("changes", "reasons"), [c[1:] for c in REASONS], ids=[c[0] for c in REASONS])
def test_train_reasons(changes: dict[str, Any], reasons: list[str]) -> None:
    inputs = project(previous=previous(), **NOT_TRAINED, **changes)
    (train,) = compute_plan([inputs]).projects[0].actions
    assert isinstance(train, Train) and train.reasons == reasons


PRETRAINED = {**INPUTS, "pretrain_data": "p1", "pretrain_sources": {"emails": "e1", "notes": "n1"}}


@pytest.mark.parametrize(("before", "after", "reason"), [
    ({"emails": "e1", "notes": "n1"}, {"emails": "e2", "notes": "n1", "wiki": "w1"},
     "pretraining text changed: emails changed, wiki added"),
    ({"emails": "e1", "notes": "n1"}, {"emails": "e1"}, "pretraining text changed: notes removed"),
    (None, {"emails": "e1"}, "pretraining text changed"),  # recorded before per-source digests
])
def test_plan_names_the_changed_pretraining_sources(before: Any, after: dict[str, str], reason: str) -> None:
    old = {**PRETRAINED, "pretrain_sources": before} if before is not None else {**INPUTS, "pretrain_data": "p1"}
    inputs = project(previous=previous(training_inputs=old), data_fingerprint="d1", **NOT_TRAINED,
                     training_inputs={**PRETRAINED, "pretrain_data": "p2", "pretrain_sources": after})
    (train,) = compute_plan([inputs]).projects[0].actions
    assert isinstance(train, Train) and train.reasons == [reason]


@pytest.mark.parametrize("inputs", [c[1] for c in CASES], ids=[c[0] for c in CASES])
def test_json_round_trip_keeps_every_key_and_order(inputs: ProjectInputs) -> None:
    plan = compute_plan([inputs], state_sha256="s")
    raw = plan.to_json()
    again = Plan.from_json(raw)
    assert again == plan and again.to_json() == raw
    assert [list(a) for a in again.to_json()["projects"][0]["actions"]] == [list(a) for a in raw["projects"][0]["actions"]]
    assert render(again) == render(plan)


def test_action_json_shapes() -> None:
    assert Deploy("production", "local", OLD, NEW, ["r"]).to_json() == {
        "type": "deploy", "deployment": "production", "target": "local", "from": OLD, "to": NEW,
        "if_gates_pass": True, "reasons": ["r"]}
    assert "damaged" not in Repair("production", "local", NEW, ["r"]).to_json()
    assert list(Repair("production", "local", NEW, ["r"], damaged=False).to_json()) == [
        "type", "deployment", "target", "fingerprint", "damaged", "reasons"]


def test_the_inputs_hash_ignores_where_the_manifest_is_shown_from() -> None:
    here, there = project(prod()), project(prod(), manifest_path="../tiny/nerspec.yaml")
    assert compute_plan([here]).inputs_sha256 == compute_plan([there]).inputs_sha256
    assert compute_plan([here]).inputs_sha256 != compute_plan([project(prod(), data_fingerprint="d3")]).inputs_sha256
