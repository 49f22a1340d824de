"""Fixtures for the serving tests: tiny real spaCy models (trained once per session), a state directory
with registry pointers per the contract, and a real uvicorn server on 127.0.0.1 with a free port."""

from __future__ import annotations

import json
import os
import random
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from nerspec.deploy import local
from nerspec.paths import StatePaths
from tests.trained_models import deploy

API_KEY = "test-key-0123456789"
ADMIN_TOKEN = "admin-token-abcdef"
API_KEY_ENV = "NERSPEC_TEST_API_KEY"
ADMIN_TOKEN_ENV = "NERSPEC_TEST_ADMIN_TOKEN"

# The texts the offset tests query are in the training data, so the tiny model reliably finds them.
NER_TRAIN: list[tuple[str, list[tuple[str, str]]]] = [
    ("Alice Smith moved to Paris last year.", [("Alice Smith", "PERSON"), ("Paris", "CITY")]),
    ("Bob Jones lives in Berlin.", [("Bob Jones", "PERSON"), ("Berlin", "CITY")]),
    ("🙂 Alice Smith flew to Paris.", [("Alice Smith", "PERSON"), ("Paris", "CITY")]),
    ("👨‍👩‍👧 Bob Jones met Alice Smith in Berlin 🇩🇪.", [("Bob Jones", "PERSON"), ("Alice Smith", "PERSON"),
                                                    ("Berlin", "CITY")]),
    ("Carol King visited Madrid and Rome.", [("Carol King", "PERSON"), ("Madrid", "CITY"), ("Rome", "CITY")]),
    ("The report was written by Dave Brown in London.", [("Dave Brown", "PERSON"), ("London", "CITY")]),
    ("Nothing to see here, just a quiet day.", []),
    ("Eve Adams works in Tokyo 東京 now.", [("Eve Adams", "PERSON"), ("Tokyo", "CITY")]),
    ("Frank Miller and Alice Smith went to Paris.", [("Frank Miller", "PERSON"), ("Alice Smith", "PERSON"),
                                                    ("Paris", "CITY")]),
    ("Prices rose again in the third quarter.", []),
]

CLS_TRAIN: list[tuple[str, list[str]]] = [
    ("The team won the championship game last night.", ["SPORTS"]),
    ("The striker scored twice in the final match.", ["SPORTS"]),
    ("Parliament passed the new budget law today.", ["POLITICS"]),
    ("The senator announced a campaign for re-election.", ["POLITICS"]),
    ("The new phone has a faster chip and better camera.", ["TECH"]),
    ("Developers released an update to the operating system.", ["TECH"]),
    ("The minister opened the new stadium for the football club.", ["SPORTS", "POLITICS"]),
    ("Athletes now wear smart watches that track every sprint.", ["SPORTS", "TECH"]),
]
CLASSES = ["SPORTS", "POLITICS", "TECH"]


def _ner_model(seed: int) -> Any:
    import spacy
    from spacy.training import Example
    from spacy.util import fix_random_seed

    fix_random_seed(seed)
    nlp = spacy.blank("en")
    ner = nlp.add_pipe("ner")
    for label in ("PERSON", "CITY"):
        ner.add_label(label)
    examples = []
    for text, ents in NER_TRAIN:
        doc = nlp.make_doc(text)
        spans = []
        for surface, label in ents:
            start = text.index(surface)
            spans.append((start, start + len(surface), label))
        examples.append(Example.from_dict(doc, {"entities": spans}))
    optimizer = nlp.initialize(lambda: examples)
    rng = random.Random(seed)
    for _ in range(40):
        rng.shuffle(examples)
        nlp.update(examples, sgd=optimizer, drop=0.1)
    return nlp


def _textcat_model(seed: int, multilabel: bool) -> Any:
    import spacy
    from spacy.training import Example
    from spacy.util import fix_random_seed

    fix_random_seed(seed)
    nlp = spacy.blank("en")
    textcat = nlp.add_pipe("textcat_multilabel" if multilabel else "textcat")
    for label in CLASSES:
        textcat.add_label(label)
    examples = []
    for text, labels in CLS_TRAIN:
        if not multilabel:
            labels = labels[:1]
        cats = {c: float(c in labels) for c in CLASSES}
        examples.append(Example.from_dict(nlp.make_doc(text), {"cats": cats}))
    optimizer = nlp.initialize(lambda: examples)
    rng = random.Random(seed)
    for _ in range(30):
        rng.shuffle(examples)
        nlp.update(examples, sgd=optimizer)
    return nlp


def write_artifact(paths: StatePaths, nlp: Any, fingerprint: str, project: str, kind: str,
                   multilabel: bool = False, labels: list[str] | None = None,
                   meta_extra: dict[str, Any] | None = None) -> Path:
    """An artifact directory per the contract: model/, meta.json (written last), manifest/metrics stubs."""
    import spacy

    from nerspec import atomic

    final = paths.models / fingerprint
    with atomic.staged_dir(final) as staged:
        nlp.to_disk(staged / "model")
        (staged / "metrics.json").write_text("{}")
        (staged / "manifest.json").write_text(json.dumps({"kind": kind, "metadata": {"name": project}}))
        (staged / "fingerprints.json").write_text("{}")
        meta = {"fingerprint": fingerprint, "project": project, "kind": kind, "labels": labels or [],
                "language": "en", "multilabel": multilabel, "threshold": 0.5, "created": "2024-01-01T00:00:00Z",
                "training_seconds": 1.0, "versions": {"nerspec": "test", "spacy": spacy.__version__, "python": "3"},
                "data_fingerprint": "0" * 16, "seed": 0, **(meta_extra or {})}
        (staged / "meta.json").write_text(json.dumps(meta, indent=2))
    return final


@dataclass(frozen=True)
class Models:
    root: Path  # a template state directory holding the trained artifacts
    ner: str
    ner_b: str
    single: str
    multi: str


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Models:
    paths = StatePaths(tmp_path_factory.mktemp("template-state"))
    ner = _ner_model(0)
    write_artifact(paths, ner, "a1" * 10, "people", "NERProject", labels=["PERSON", "CITY"])
    # Same weights under another fingerprint: hot-swap tests tell the models apart by fingerprint.
    write_artifact(paths, ner, "b2" * 10, "people", "NERProject", labels=["PERSON", "CITY"])
    write_artifact(paths, _textcat_model(0, False), "c3" * 10, "topics", "TextClassificationProject",
                   labels=CLASSES)
    write_artifact(paths, _textcat_model(0, True), "d4" * 10, "tags", "TextClassificationProject",
                   multilabel=True, labels=CLASSES)
    return Models(paths.root, "a1" * 10, "b2" * 10, "c3" * 10, "d4" * 10)


def undeploy(paths: StatePaths, project: str, deployment: str) -> None:
    from nerspec.state import open_store

    store = open_store(paths)
    try:
        store.remove_deployment(project, deployment, actor="test", reason="test")
    finally:
        store.close()
    local.remove(paths, project, deployment)


def make_state(trained: Models, target: Path) -> StatePaths:
    shutil.copytree(trained.root / "models", target / "models")
    paths = StatePaths(target)
    deploy(paths, "people", "production", trained.ner)
    deploy(paths, "people", "staging", trained.ner_b)
    deploy(paths, "people", "swap", trained.ner)
    deploy(paths, "topics", "production", trained.single)
    deploy(paths, "tags", "production", trained.multi)
    return paths


@dataclass
class Server:
    url: str
    paths: StatePaths
    app: Any


def run_server(app: Any, paths: StatePaths) -> Iterator[Server]:
    import uvicorn

    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("test server did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]  # port 0: the OS picked a free one, no race
    try:
        yield Server(f"http://127.0.0.1:{port}", paths, app)
    finally:
        server.should_exit = True
        thread.join(timeout=15)


@pytest.fixture(scope="session")
def server(trained: Models, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    from nerspec.serve.app import create_app

    os.environ[API_KEY_ENV] = API_KEY
    os.environ[ADMIN_TOKEN_ENV] = ADMIN_TOKEN
    paths = make_state(trained, tmp_path_factory.mktemp("state"))
    app = create_app(paths, api_key_env=API_KEY_ENV, admin_token_env=ADMIN_TOKEN_ENV, workers=2,
                     poll_interval=0.05)
    yield from run_server(app, paths)


@pytest.fixture()
def http(server: Server) -> Iterator[Any]:
    import httpx

    with httpx.Client(base_url=server.url, headers={"Ocp-Apim-Subscription-Key": API_KEY}, timeout=30) as client:
        yield client
