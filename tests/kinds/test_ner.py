"""The NER kind: predictions as span documents, error rows of the report."""

from __future__ import annotations

from nerspec.corpus.model import Document, Span
from nerspec.kinds import KINDS, NER_KIND
from nerspec.predictions import from_json

NER = KINDS[NER_KIND]


def test_predictions_become_documents_with_spans() -> None:
    doc = Document("d", "Ada Lovelace wrote")
    pred, scores = NER.predicted_documents([doc], [from_json([{"category": "PER", "offset": 0, "length": 12}])])
    assert pred[0].spans == [Span(0, 12, "PER")] and pred[0].labels == [] and scores is None


def test_report_rows_name_a_wrong_type_and_a_matrix_shows_when_there_is_one() -> None:
    reviewed = {"id": "d", "text": "Paris is nice", "gold": [[0, 5, "LOC"]], "predicted": [[0, 5, "PER"]]}
    assert [(r["error"], r["gold"], r["predicted"]) for r in NER.report_errors(reviewed)] == [("wrong type", "LOC", "PER")]
    assert NER.shows_confusion(None, {"confusion_matrix": {"labels": ["a"], "matrix": [[1]]}})
    assert not NER.shows_confusion(None, {})
