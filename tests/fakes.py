"""Fake trainer, evaluator and corpus reader for reconciler tests (also usable from a subprocess started through
``python -m tests.launch`` with ``NERSPEC_TEST_TRAINER=tests.fakes:train`` and friends)."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nerspec.corpus.model import Corpus, Document, Span
from nerspec.evaluate.record import Evaluation


def load_corpus(project: Any, cache_dir: Path | None = None) -> Corpus:
    rename = {old: label.name for label in project.manifest.spec.labels for old in label.previous_names}
    docs = []
    for source in project.manifest.spec.data:
        for line in (project.dir / source.path).read_text().splitlines():
            if not line.strip():
                continue
            raw = json.loads(line)
            spans = [Span(s, e, rename.get(label, label)) for s, e, label in raw.get("spans", [])]
            docs.append(Document(id=str(raw["id"]), text=raw["text"], spans=spans, source=source.name))
    return Corpus(docs)


@dataclass
class Split:
    train: list[Document]
    test: list[Document]


def split_corpus(project: Any, corpus: Corpus) -> Split:
    seed = project.manifest.spec.split.seed
    test = [d for d in corpus if int(hashlib.sha256(f"{seed}:{d.id}".encode()).hexdigest(), 16) % 4 == 0]
    ids = {d.id for d in test}
    return Split([d for d in corpus if d.id not in ids], test)


def train(project: Any, corpus: Any, split: Any, out_dir: Path, fingerprint: str, data_fp: Any, **_: Any) -> None:
    (out_dir / "model").mkdir()
    (out_dir / "model" / "weights.bin").write_bytes(fingerprint.encode() * 10)
    quality = os.environ.get("NERSPEC_FAKE_F1", "0.8")
    (out_dir / "model" / "quality.txt").write_text(quality)


def evaluate(project: Any, corpus: Any, split: Any, model_dir: Path) -> Evaluation:
    quality = Path(model_dir) / "model" / "quality.txt"
    # A real model (trained before the fakes were switched on, e.g. the deployed baseline) scores the default.
    f1 = float(quality.read_text() if quality.is_file() else os.environ.get("NERSPEC_FAKE_F1", "0.8"))
    labels = [label.name for label in project.manifest.spec.labels]
    per = {label: {"precision": f1, "recall": f1, "f1": f1, "tp": 8, "fp": 2, "fn": 2, "support": 10} for label in labels}
    return Evaluation.from_json({
        "kind": project.kind,
        "micro": {"precision": f1, "recall": f1, "f1": f1, "tp": 8, "fp": 2, "fn": 2},
        "macro": {"precision": f1, "recall": f1, "f1": f1},
        "per_entity": per,
        "data": {"test": {"documents": len(split.test)}},
    })


def train_copy(project: Any, corpus: Any, split: Any, out_dir: Path, fingerprint: str, data_fp: Any, **_: Any) -> None:
    """A loadable model at once: the spaCy pipeline ``NERSPEC_FAKE_MODEL`` names, copied (predict and serve work)."""
    import shutil

    shutil.copytree(os.environ["NERSPEC_FAKE_MODEL"], out_dir / "model")
