"""The project-kind table (`nerspec.kinds`): one ProjectKind per manifest kind, and the subsystems reading it."""

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
    kind_key,
    kind_of,
    kind_of_task,
    task_kinds,
)
from nerspec.manifest import schema


def test_the_table_holds_every_manifest_kind_under_its_own_name() -> None:
    declared = {get_args(model.model_fields["kind"].annotation)[0] for model in get_args(schema.AnyProject)}
    assert declared == set(SUPPORTED_KINDS) == set(schema.SUPPORTED_KINDS) == set(schema.PROJECT_MODELS)
    # Each manifest kind, and the variants its spec chooses (`overlapping: true`), under their key.
    assert set(KINDS) == {*declared, kind_key(NER_KIND, overlapping=True)}
    for name, kind in KINDS.items():
        assert kind_key(kind.name, kind.overlapping) == name
        # The manifest field that declares the labels exists on that kind's spec.
        spec = schema.PROJECT_MODELS[kind.name].model_fields["spec"].annotation
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


@pytest.mark.parametrize("kind", [NER_KIND, CLASSIFICATION_KIND])
def test_evaluation_and_gates_use_the_kinds_per_label_key(kind: str) -> None:
    from nerspec.evaluate import evaluate, per_label
    from nerspec.gates import evaluate_gates
    from nerspec.manifest.gates import ClassificationGates, LabelGate, NERGates, Threshold

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
    assert evaluation.to_json()[key][label]["f1"] == 1.0 and per_label(evaluation) == getattr(evaluation, key)
    [result] = evaluate_gates(kind, [label], gates, evaluation)
    assert result.name == f"{key}.{label}.f1" and result.passed
