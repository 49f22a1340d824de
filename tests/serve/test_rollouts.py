"""Shadow and canary rollouts on a real `nerspec serve` app (uvicorn on 127.0.0.1) over a real SQLite state, with
real spaCy models: apply stages the candidate, the server records, the next apply promotes or aborts.

The trainer is a real (tiny) spaCy training on the project's own train split; the bad candidate is trained on the
same documents with shuffled entity labels."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from nerspec.apply import RunParts, apply
from nerspec.deploy import local
from nerspec.errors import GateFailed
from nerspec.paths import StatePaths
from nerspec.state import open_store
from tests import fakes
from tests.tiny import CITIES, PEOPLE, manifest

pytestmark = pytest.mark.slow


def spacy_trainer(shuffled: bool) -> Callable[..., None]:
    def train(project: Any, corpus: Any, split: Any, out_dir: Path, fingerprint: str, data_fp: Any, **_: Any) -> None:
        import spacy
        from spacy.training import Example
        from spacy.util import fix_random_seed

        fix_random_seed(0)
        rng = random.Random(0)
        labels = [label.name for label in project.manifest.spec.labels]
        nlp = spacy.blank("en")
        ner = nlp.add_pipe("ner")
        for label in labels:
            ner.add_label(label)
        examples = [Example.from_dict(nlp.make_doc(d.text), {"entities": [
            (s.start, s.end, rng.choice(labels) if shuffled else s.label) for s in d.spans]}) for d in split.train]
        optimizer = nlp.initialize(lambda: examples)
        for _ in range(30):
            rng.shuffle(examples)
            nlp.update(examples, sgd=optimizer, drop=0.0)
        nlp.to_disk(out_dir / "model")

    return train


def make_docs(n: int, start: int = 0) -> list[dict[str, Any]]:
    """``tests.tiny.make_docs`` with entity offsets a real model can learn (the fake engine never looks)."""
    docs = []
    for i in range(start, start + n):
        person, city = PEOPLE[i % len(PEOPLE)], CITIES[(i * 3) % len(CITIES)]
        text = f"{person} moved to {city} in {1990 + i % 30}."
        at = len(person) + len(" moved to ")
        docs.append({"id": f"d{i:04d}", "text": text, "spans": [[0, len(person), "PER"], [at, at + len(city), "LOC"]]})
    return docs


def parts(shuffled: bool = False) -> RunParts:
    return RunParts(trainer=spacy_trainer(shuffled), evaluator=fakes.evaluate)


def with_rollout(**rollout: Any) -> dict[str, Any]:
    return manifest(deployments=[{"name": "production", "rollout": rollout}])


def served(state: StatePaths) -> str:
    pointer = local.read_pointer(state, "tiny", "production")
    assert pointer is not None
    return str(pointer["fingerprint"])


def stage(tiny: Any, state: StatePaths, rollout: dict[str, Any], shuffled: bool = False) -> tuple[str, str]:
    """production serves a model trained on 24 documents; a candidate trained on 30 is staged."""
    tiny.write_docs(make_docs(24))
    apply(tiny.load(), state, parts=parts())
    production = served(state)
    tiny.write_manifest(with_rollout(**rollout))
    tiny.write_docs(make_docs(30))
    apply(tiny.load(), state, parts=parts(shuffled))
    store = open_store(state)
    candidate = store.rollouts("tiny")["production"].candidate
    store.close()
    assert served(state) == production != candidate
    return production, candidate


def serve(state: StatePaths) -> Iterator[Any]:
    from nerspec.serve.app import create_app
    from tests.serve.conftest import run_server

    app = create_app(state, poll_interval=0.05)
    for server in run_server(app, state):
        rollouts = app.state.nerspec.rollouts
        deadline = time.monotonic() + 30
        while rollouts.get("tiny", "production") is None:
            assert time.monotonic() < deadline, "the server did not load the candidate"
            time.sleep(0.05)
        yield server


def post(url: str, docs: list[dict[str, Any]]) -> dict[str, Any]:
    body = {"documents": [{"id": d["id"], "text": d["text"]} for d in docs]}
    response = httpx.post(f"{url}/projects/tiny/deployments/production:analyze", json=body, timeout=30)
    assert response.status_code == 200, response.text
    return dict(response.json())


def jobs(url: str, docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One job through the reference jobs API, polled until it finished; its documents."""
    body = {"analysisInput": {"documents": [{"id": d["id"], "text": d["text"]} for d in docs]},
            "tasks": [{"kind": "CustomEntityRecognition", "taskName": "t",
                       "parameters": {"projectName": "tiny", "deploymentName": "production"}}]}
    version = {"api-version": "2023-04-01"}
    response = httpx.post(f"{url}/language/analyze-text/jobs", params=version, json=body, timeout=30)
    assert response.status_code == 202, response.text
    location = response.headers["operation-location"]
    deadline = time.monotonic() + 30
    while (state := httpx.get(location, timeout=30).json())["status"] not in ("succeeded", "failed"):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert state["status"] == "succeeded", state
    return list(state["tasks"]["items"][0]["results"]["documents"])


def observations(state: StatePaths, at_least: int) -> int:
    deadline = time.monotonic() + 20
    while True:
        store = open_store(state)
        rollout = next(iter(store.rollouts("tiny").values()))
        count = len(store.rollout_observations(rollout.id))
        store.close()
        if count >= at_least or time.monotonic() > deadline:
            return count
        time.sleep(0.1)


def answers(model_dir: Path, docs: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """What a model answers through the server's own path (for comparing the callers' answers)."""
    from nerspec.serve.registry import Loaded, load_predictor
    from nerspec.serve.rollouts import timed

    loaded = Loaded("tiny", "production", model_dir.name, model_dir, "NERProject", "en", False,
                    load_predictor(model_dir), "now")
    out = []
    for i in range(0, len(docs), 20):  # at most 25 documents a request
        batch = [{"id": d["id"], "text": d["text"], "language": None} for d in docs[i:i + 20]]
        out.extend(r.to_json()["entities"] for r in timed(loaded, batch, "Utf16CodeUnit")[0])
    return out


# Latency is measured too, but on a shared 2-core test machine a 1.5x bound on a few requests' p95 is noise:
# these tests are about agreement, bench/serve_shadow.py about latency.
ANALYSIS = {"min_documents": 40, "max_latency_ratio": 20.0}
TRAFFIC = make_docs(40, start=200)  # other years than the training data: the same people and cities


def test_shadow_good_candidate_is_promoted(tiny: Any, state: StatePaths) -> None:
    production, candidate = stage(tiny, state, {"strategy": "shadow", "analysis": ANALYSIS})
    expected = answers(state.models / production, TRAFFIC)
    for server in serve(state):
        for i in range(0, 40, 8):
            body = post(server.url, TRAFFIC[i:i + 8])
            assert body["modelFingerprint"] == production
            assert [d["modelFingerprint"] for d in body["documents"]] == [production] * 8
            assert [d["entities"] for d in body["documents"]] == expected[i:i + 8]
        assert observations(state, 40) == 40
        # The jobs API's documents are shadowed too (its answers are production's).
        job = jobs(server.url, TRAFFIC[:5])
        assert [d["entities"] for d in job] == expected[:5]
        assert observations(state, 45) == 45
    result = apply(tiny.load(), state, parts=parts())
    assert served(state) == candidate
    assert result["projects"][0]["rollout_actions"][0]["action"] == "promoted"
    store = open_store(state)
    last = store.history("tiny", "production")[-1]
    store.close()
    assert (last.action, last.from_fp, last.to_fp) == ("promote", production, candidate)
    assert last.reason.startswith("rollout passed: 45 documents, agreement 1.000, error rate 0.000")


def test_shadow_bad_candidate_fails_and_callers_never_see_it(tiny: Any, state: StatePaths) -> None:
    production, candidate = stage(tiny, state, {"strategy": "shadow", "analysis": ANALYSIS},
                                  shuffled=True)
    expected = answers(state.models / production, TRAFFIC)
    assert answers(state.models / candidate, TRAFFIC) != expected  # it does disagree
    for server in serve(state):
        for i in range(0, 40, 8):
            body = post(server.url, TRAFFIC[i:i + 8])
            assert [d["entities"] for d in body["documents"]] == expected[i:i + 8]
        assert observations(state, 40) == 40
    with pytest.raises(GateFailed, match="rollout of .* failed .*agreement 0\\.[0-8]"):
        apply(tiny.load(), state, parts=parts(True))
    assert served(state) == production
    store = open_store(state)
    assert store.rollouts("tiny") == {} and store.deployments("tiny")["production"].fingerprint == production
    assert store.history("tiny", "production")[-1].action == "abort"
    store.close()


def test_canary_answers_about_weight_sticky_per_id_on_both_apis(tiny: Any, state: StatePaths) -> None:
    """One prediction path: the jobs API routes a document to the same model as the native endpoint (the recorded
    weight, sticky per id), with the candidate's answers, and records the same observations."""
    production, candidate = stage(tiny, state, {"strategy": "canary", "weight": 0.3,
                                                "analysis": {"min_documents": 1000}}, shuffled=True)
    docs = [{"id": f"user-{i}", "text": TRAFFIC[i % 40]["text"]} for i in range(200)]
    by_model = {fp: answers(state.models / fp, docs[:75]) for fp in (production, candidate)}
    assert by_model[production] != by_model[candidate]  # the answers tell the models apart
    for server in serve(state):
        first = [d for i in range(0, 200, 25) for d in post(server.url, docs[i:i + 25])["documents"]]
        again = [d for i in range(0, 200, 25) for d in post(server.url, docs[i:i + 25])["documents"]]
        by_candidate = [d["id"] for d in first if d["modelFingerprint"] == candidate]
        assert {d["modelFingerprint"] for d in first} == {production, candidate}
        # 200 draws at 0.3: mean 60, standard deviation 6.5; 4 of them either way
        assert 34 <= len(by_candidate) <= 86
        assert [(d["id"], d["modelFingerprint"]) for d in again] == [(d["id"], d["modelFingerprint"]) for d in first]
        assert [d["id"] for d in first] == [d["id"] for d in docs]  # request order kept
        assert observations(state, 2 * len(by_candidate)) == 2 * len(by_candidate)  # production computed too
        routed = [(d["id"], d["modelFingerprint"]) for d in first[:75]]
        assert [d["entities"] for d in first[:75]] == [by_model[fp][i] for i, (_, fp) in enumerate(routed)]
        job = [d for i in range(0, 75, 25) for d in jobs(server.url, docs[i:i + 25])]
        assert [(d["id"], d["modelFingerprint"]) for d in job] == routed
        assert [d["entities"] for d in job] == [d["entities"] for d in first[:75]]
        canary = sum(fp == candidate for _, fp in routed)
        expected = 2 * len(by_candidate) + canary  # production's answer computed for each, as on the native API
        assert observations(state, expected) == expected
