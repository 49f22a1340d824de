"""The text-classification kind: decoding, predictions as class documents, report pieces."""

from __future__ import annotations

from nerspec.corpus.model import Document
from nerspec.kinds import CLASSIFICATION_KIND, KINDS
from nerspec.predictions import from_json, to_json

TEXTCAT = KINDS[CLASSIFICATION_KIND]


def test_decodes_the_argmax_single_label_and_every_class_over_the_threshold_multi_label() -> None:
    import spacy

    doc = spacy.blank("en").make_doc("a text")
    doc.cats = {"a": 0.2, "b": 0.7, "c": 0.6}
    assert to_json(TEXTCAT.decode(doc, None, 0.5, False)) == [{"category": "b", "confidenceScore": 0.7}]
    assert [p.category for p in TEXTCAT.decode(doc, None, 0.5, True)] == ["b", "c"]


def test_predictions_become_documents_with_classes_and_their_scores() -> None:
    doc = Document("d", "Ada Lovelace wrote")
    pred, scores = TEXTCAT.predicted_documents([doc], [from_json([{"category": "bio", "confidenceScore": 0.75}])])
    assert pred[0].labels == ["bio"] and scores == [{"bio": 0.75}]


def test_report_rows_and_a_confusion_matrix_only_for_single_label() -> None:
    classified = {"id": "d", "text": "t", "gold": ["a"], "predicted": ["b"]}
    assert [r["error"] for r in TEXTCAT.report_errors(classified)] == ["misclassified"]
    matrix = {"confusion_matrix": {"labels": ["a"], "matrix": [[1]]}}
    assert TEXTCAT.shows_confusion(False, matrix)
    assert not TEXTCAT.shows_confusion(True, matrix)
    assert not TEXTCAT.shows_confusion(None, {**matrix, "threshold_sweep": []})  # multi-label, guessed
