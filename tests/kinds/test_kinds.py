"""The project-kind table: one ProjectKind per manifest kind, and the subsystems reading it."""

from __future__ import annotations

import subprocess
import sys
from typing import get_args

import pytest

from nerspec.corpus.model import Document, Span
from nerspec.errors import NerspecError
from nerspec.kinds import (
    CLASSIFICATION_KIND,
    KINDS,
    NER_KIND,
    SUPPORTED_KINDS,
    kind_of,
    kind_of_task,
    task_kinds,
)
from nerspec.manifest import schema


def test_the_table_holds_every_manifest_kind_under_its_own_name() -> None:
    declared = {get_args(model.model_fields["kind"].annotation)[0] for model in get_args(schema.AnyProject)}
    assert set(KINDS) == declared == set(SUPPORTED_KINDS) == set(schema.SUPPORTED_KINDS) == set(schema.PROJECT_MODELS)
    for name, kind in KINDS.items():
        assert kind.name == name
        # The manifest field that declares the labels exists on that kind's spec.
        spec = schema.PROJECT_MODELS[name].model_fields["spec"].annotation
        assert kind.label_field in spec.model_fields  # type: ignore[union-attr]


def test_an_unknown_kind_is_a_clear_error_naming_the_known_ones() -> None:
    with pytest.raises(NerspecError, match=r"unknown project kind 'SpanProject'; known: NERProject, TextClassificationProject"):
        kind_of("SpanProject")


def test_job_task_kinds_map_to_the_project_kind_that_serves_them() -> None:
    assert task_kinds() == {
        "CustomEntityRecognition": "CustomEntityRecognitionLROResults",
        "CustomSingleLabelClassification": "CustomSingleLabelClassificationLROResults",
        "CustomMultiLabelClassification": "CustomMultiLabelClassificationLROResults",
    }
    assert kind_of_task("CustomEntityRecognition") is KINDS[NER_KIND]
    assert kind_of_task("CustomMultiLabelClassification") is KINDS[CLASSIFICATION_KIND]
    assert kind_of_task("Sentiment") is None


def test_looking_a_kind_up_imports_nothing_heavy() -> None:
    code = (
        "import sys, nerspec.kinds as k; k.kind_of('NERProject').label_noun; "
        "print(sorted(m for m in ('spacy', 'thinc', 'numpy', 'jinja2', 'fastapi') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_predictions_become_documents_of_the_kinds_shape() -> None:
    doc = Document("d", "Ada Lovelace wrote")
    ner, _ = KINDS[NER_KIND].predicted_documents([doc], [[{"category": "PER", "offset": 0, "length": 12}]])
    assert ner[0].spans == [Span(0, 12, "PER")] and ner[0].labels == []
    classes, scores = KINDS[CLASSIFICATION_KIND].predicted_documents(
        [doc], [[{"category": "bio", "confidenceScore": 0.75}]]
    )
    assert classes[0].labels == ["bio"] and scores == [{"bio": 0.75}]


def test_textcat_decodes_the_argmax_single_label_and_every_class_over_the_threshold_multi_label() -> None:
    import spacy

    doc = spacy.blank("en").make_doc("a text")
    doc.cats = {"a": 0.2, "b": 0.7, "c": 0.6}
    textcat = KINDS[CLASSIFICATION_KIND]
    assert textcat.decode(doc, None, 0.5, False) == [{"category": "b", "confidenceScore": 0.7}]
    assert [p["category"] for p in textcat.decode(doc, None, 0.5, True)] == ["b", "c"]


def test_report_pieces_error_rows_and_confusion() -> None:
    ner, textcat = KINDS[NER_KIND], KINDS[CLASSIFICATION_KIND]
    reviewed = {"id": "d", "text": "Paris is nice", "gold": [[0, 5, "LOC"]], "predicted": [[0, 5, "PER"]]}
    assert [(r["error"], r["gold"], r["predicted"]) for r in ner.report_errors(reviewed)] == [("wrong type", "LOC", "PER")]
    classified = {"id": "d", "text": "t", "gold": ["a"], "predicted": ["b"]}
    assert [r["error"] for r in textcat.report_errors(classified)] == ["misclassified"]
    matrix = {"confusion_matrix": {"labels": ["a"], "matrix": [[1]]}}
    assert ner.shows_confusion(None, matrix) and textcat.shows_confusion(False, matrix)
    assert not textcat.shows_confusion(True, matrix)
    assert not textcat.shows_confusion(None, {**matrix, "threshold_sweep": []})  # multi-label, guessed


@pytest.mark.parametrize("kind", [NER_KIND, CLASSIFICATION_KIND])
def test_evaluation_and_gates_use_the_kinds_per_label_key(kind: str) -> None:
    from nerspec.evaluate import evaluate, per_label
    from nerspec.gates import evaluate_gates
    from nerspec.manifest.schema import ClassificationGates, LabelGate, NERGates, Threshold

    if kind == NER_KIND:
        gold = [Document("1", "Ada here", spans=[Span(0, 3, "PER")])]
        gates: NERGates | ClassificationGates = NERGates(per_entity={"PER": LabelGate(f1=Threshold(min=0.5))})
        label = "PER"
    else:
        gold = [Document("1", "Ada here", labels=["bio"])]
        gates = ClassificationGates(per_class={"bio": LabelGate(f1=Threshold(min=0.5))})
        label = "bio"
    evaluation = evaluate(kind, gold, gold, ci_resamples=10, labels=[label])
    key = KINDS[kind].per_label_key
    assert evaluation[key][label]["f1"] == 1.0 and per_label(evaluation) == evaluation[key]
    [result] = evaluate_gates(kind, [label], gates, evaluation)
    assert result.name == f"{key}.{label}.f1" and result.passed
