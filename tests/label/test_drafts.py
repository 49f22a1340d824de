"""Drafts of an overlapping project: nested and overlapping predictions stay whole in the Label Studio and jsonl
pre-annotations, and come back as drafts with every span."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nerspec.corpus.formats import jsonl, labelstudio
from nerspec.corpus.model import Document, Span
from nerspec.label.drafts import draft_of, write_drafts
from nerspec.label.next import rank
from nerspec.predictions import PredictedLabel

TEXT = "The Bank of England raised rates in London."


def _entity(start: int, end: int, label: str, score: float) -> PredictedLabel:
    return PredictedLabel(label, score, start, end - start, TEXT[start:end])


# A span categorizer's answer: "Bank of England" ORG holds "England" LOC; "England" is also (less surely) an ORG.
NESTED = [_entity(4, 19, "ORG", 0.91), _entity(12, 19, "LOC", 0.83), _entity(12, 19, "ORG", 0.41),
          _entity(36, 42, "LOC", 0.97)]
SPANS = [Span(4, 19, "ORG"), Span(12, 19, "LOC"), Span(12, 19, "ORG"), Span(36, 42, "LOC")]


@pytest.mark.parametrize("fmt", ["labelstudio", "jsonl"])
def test_overlapping_predictions_are_kept_as_pre_annotations(tmp_path: Path, fmt: str) -> None:
    draft, scores = draft_of(Document("n1", TEXT), NESTED, spans=True)
    assert draft.spans == SPANS and scores[Span(12, 19, "ORG")] == 0.41
    target = write_drafts([(draft, scores)], tmp_path / f"batch.{'json' if fmt == 'labelstudio' else 'jsonl'}",
                          fmt, spans=True, model_version="m1")
    if fmt == "labelstudio":
        [task] = json.loads(target.read_text())
        [prediction] = task["predictions"]
        regions = [(r["value"]["start"], r["value"]["end"], r["value"]["labels"], r["score"]) for r in prediction["result"]]
        assert regions == [(4, 19, ["ORG"], 0.91), (12, 19, ["LOC"], 0.83), (12, 19, ["ORG"], 0.41), (36, 42, ["LOC"], 0.97)]
        assert prediction["score"] == 0.41  # the draft's least sure span
        [back] = labelstudio.read(target)
    else:
        [back] = jsonl.read(target)
    assert back.status == "draft" and sorted(back.spans) == sorted(SPANS)


def test_label_next_ranks_an_overlapping_prediction_by_its_least_sure_span() -> None:
    pool = [Document("nested", TEXT), Document("flat", "Rates rose in Paris.")]
    predictions = [NESTED, [PredictedLabel("LOC", 0.99, 14, 5, "Paris")]]
    picks = rank(pool, 2, strategy="uncertainty", predictions=predictions)
    assert [p.id for p in picks] == ["nested", "flat"]
    assert picks[0].reasons == ["lowest entity confidence 0.41 (`England` as ORG); 4 predicted entities, "
                                "expected wrong 0.88"]
    assert picks[0].prediction == NESTED  # every overlapping entity goes to the export
