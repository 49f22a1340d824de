"""One prediction path: evaluate scores exactly what predict, ``nerspec.load().predict``, the native endpoint
and the jobs API return, on a model trained to an imperfect score (where decoding choices matter)."""

from __future__ import annotations

import httpx
import pytest

from nerspec.corpus.model import Document, Span
from nerspec.corpus.split import SplitResult
from nerspec.predictions import Prediction, from_json
from tests.trained_models import held_out

pytestmark = pytest.mark.slow

Ent = tuple[int, int, str]


def _held_out_docs(n: int) -> list[Document]:
    return [Document(id=r["id"], text=r["text"], spans=[Span(s["start"], s["end"], s["label"]) for s in r["spans"]])
            for r in held_out(n, seed=7)]


def _long_document(docs: list[Document], min_chars: int = 5_000) -> Document:
    """The held-out texts joined into one document longer than ``nerspec.chunking.CHUNK_CHARS`` (twice over):
    every path predicts it in the same pieces."""
    text, spans = "", []
    for doc in docs * (1 + min_chars // max(1, sum(len(d.text) + 1 for d in docs))):
        spans += [Span(s.start + len(text), s.end + len(text), s.label) for s in doc.spans]
        text += doc.text + "\n"
        if len(text) > min_chars:
            break
    return Document(id="long", text=text, spans=spans)


def _entities(results: list[Prediction]) -> list[set[Ent]]:
    return [{(e.offset, e.offset + e.length, e.category) for e in r} for r in results]


def _native(url: str, project: str, texts: list[str]) -> list[Prediction]:
    """Each text's result items (``entities`` or ``classes``) from the native endpoint, 25 documents a request."""
    out: list[Prediction] = []
    with httpx.Client(base_url=url, headers={"Ocp-Apim-Subscription-Key": "k" * 20}, timeout=60) as client:
        for start in range(0, len(texts), 25):
            body = {"documents": [{"id": str(i), "text": t} for i, t in enumerate(texts[start : start + 25])]}
            response = client.post(f"/projects/{project}/deployments/production:analyze", json=body,
                                   params={"stringIndexType": "UnicodeCodePoint"})
            response.raise_for_status()
            docs = sorted(response.json()["documents"], key=lambda d: int(d["id"]))
            out += [from_json(d.get("entities", d.get("classes"))) for d in docs]
    return out


def _jobs(url: str, submit: str, project: str, field: str, texts: list[str]) -> list[list]:
    """Each text's result items through the jobs API with the official client (``submit``: its begin_* method,
    ``field``: the result's list, ``entities`` or ``classifications``)."""
    from azure.ai.textanalytics import TextAnalyticsClient
    from azure.core.credentials import AzureKeyCredential

    client = TextAnalyticsClient(url, AzureKeyCredential("k" * 20))
    out: list[list] = []
    for start in range(0, len(texts), 25):
        poller = getattr(client, submit)(texts[start : start + 25], project_name=project,
                                         deployment_name="production", polling_interval=1)
        out += [list(getattr(result, field)) for result in poller.result()]
    return out


def _scores(results: list[Prediction]) -> list[list[float]]:
    return [[item.confidence for item in r] for r in results]


def test_evaluate_predict_load_native_and_jobs_agree(ner_model, monkeypatch):
    import nerspec
    from nerspec.evaluate.run import evaluate_model
    from nerspec.manifest.load import load_projects
    from nerspec.paths import StatePaths
    from nerspec.predict import load
    from nerspec.serve.app import create_app
    from tests.serve.conftest import run_server

    root, state, artifact = ner_model
    (project,) = load_projects([root])
    test = _held_out_docs(60)  # held-out phrasings: the tiny model gets some wrong
    test.append(_long_document(test))  # cut into pieces by the server and by predict alike
    split = SplitResult(train=[], test=test)
    evaluation = evaluate_model(project, nerspec_corpus(test), split, artifact.path, ci_resamples=10).to_json()
    assert 0.0 < evaluation["micro"]["f1"] < 1.0, "the model must be imperfect for this test to mean something"
    evaluated = [{(p["start"], p["end"], p["label"]) for p in d["predicted"]} for d in evaluation["documents"]]

    texts = [d.text for d in test]
    predicted = load(artifact.path).predict(texts)
    assert _entities(predicted) == evaluated
    assert _entities(nerspec.load(root, state=state).predict(texts)) == evaluated

    monkeypatch.setenv("NERSPEC_ONE_PATH_KEY", "k" * 20)
    monkeypatch.setenv("NERSPEC_ONE_PATH_ADMIN", "a" * 20)
    app = create_app(StatePaths(state), api_key_env="NERSPEC_ONE_PATH_KEY", admin_token_env="NERSPEC_ONE_PATH_ADMIN",
                     workers=1, poll_interval=0.05)
    for server in run_server(app, StatePaths(state)):
        native = _native(server.url, "people", texts)
        assert _entities(native) == evaluated
        assert _scores(native) == _scores(predicted)
        jobs = _jobs(server.url, "begin_recognize_custom_entities", "people", "entities", texts)
        assert [{(e.offset, e.offset + e.length, e.category) for e in r} for r in jobs] == evaluated
        # the official client reads the same confidences
        assert [[e.confidence_score for e in r] for r in jobs] == _scores(native)


def nerspec_corpus(docs: list[Document]):
    from nerspec.corpus.model import Corpus

    return Corpus(documents=docs)


def _topic_docs(n: int) -> list[Document]:
    """Held-out mixes of both topics' words, most leaning one way: the tiny classifier gets some of them wrong."""
    import random

    rng = random.Random(11)
    topics = {"sports": ["match", "goal", "team", "coach"], "finance": ["stock", "bank", "shares", "profit"]}
    docs = []
    for i in range(n):
        label = sorted(topics)[i % 2]
        other = sorted(topics)[1 - i % 2]
        words = rng.sample(topics[label], 2) + rng.sample(topics[other], rng.choice([1, 2, 3]))
        words += [rng.choice(["the", "a", "today", "news"]) for _ in range(3)]
        rng.shuffle(words)
        docs.append(Document(id=f"q{i}", text=" ".join(words), labels=[label]))
    return docs


def test_textcat_evaluate_predict_load_native_and_jobs_agree(textcat_model, tmp_path, monkeypatch):
    import shutil

    from nerspec.evaluate.run import evaluate_model
    from nerspec.manifest.load import load_projects
    from nerspec.paths import StatePaths
    from nerspec.predict import load
    from nerspec.serve.app import create_app
    from tests.serve.conftest import run_server
    from tests.trained_models import deploy

    root, _state, artifact = textcat_model
    (project,) = load_projects([root])
    test = _topic_docs(40)
    evaluation = evaluate_model(project, nerspec_corpus(test), SplitResult(train=[], test=test), artifact.path,
                                ci_resamples=10).to_json()
    evaluated = [[p["label"] for p in d["predicted"]] for d in evaluation["documents"]]
    wrong = sum(e != d.labels for e, d in zip(evaluated, test))
    assert 0 < wrong < len(test), "the model must be imperfect for this test to mean something"
    assert evaluation["calibration"]["items"] == len(test)

    texts = [d.text for d in test]
    predicted = load(artifact.path).predict(texts)
    assert [[c.category for c in r] for r in predicted] == evaluated

    # A state of its own, so the shared fixture's stays undeployed.
    paths = StatePaths(tmp_path / "state")
    shutil.copytree(artifact.path, paths.models / artifact.fingerprint)
    deploy(paths, "topics", "production", artifact.fingerprint)
    monkeypatch.setenv("NERSPEC_ONE_PATH_KEY", "k" * 20)
    monkeypatch.setenv("NERSPEC_ONE_PATH_ADMIN", "a" * 20)
    app = create_app(paths, api_key_env="NERSPEC_ONE_PATH_KEY", admin_token_env="NERSPEC_ONE_PATH_ADMIN",
                     workers=1, poll_interval=0.05)
    for server in run_server(app, paths):
        native = _native(server.url, "topics", texts)
        assert [[c.category for c in r] for r in native] == evaluated
        assert _scores(native) == _scores(predicted)
        jobs = _jobs(server.url, "begin_single_label_classify", "topics", "classifications", texts)
        assert [[c.category for c in r] for r in jobs] == evaluated
        assert [[c.confidence_score for c in r] for r in jobs] == _scores(native)
