"""The overlapping-entities kind (`spec.overlapping: true`): chosen from the manifest, a `spancat` pipeline sized
from the data, references with nested spans, overlapping predictions decoded with the component's scores."""

from __future__ import annotations

from pathlib import Path

from nerspec.corpus.model import Document, Span
from nerspec.kinds import KINDS, NER_KIND, artifact_kind, kind_key, kind_of, project_kind
from nerspec.kinds.spans import MAX_SPAN_TOKENS, SPANS_KEY, SpanKind, span_tokens, suggester_sizes
from nerspec.manifest.load import load_project
from nerspec.model_meta import ModelMeta
from nerspec.predictions import to_json
from tests.manifest.test_schema_overlapping import NER

SPANS = KINDS[kind_key(NER_KIND, overlapping=True)]
NESTED = Document("1", "Ada works at the Bank of Paris.", spans=[
    Span(0, 3, "PER"), Span(17, 30, "ORG"), Span(25, 30, "LOC")])


def test_the_manifest_chooses_the_span_kind(tmp_path: Path) -> None:
    (tmp_path / "nerspec.yaml").write_text(NER, encoding="utf-8")
    assert isinstance(project_kind(load_project(tmp_path)), SpanKind)
    (tmp_path / "nerspec.yaml").write_text(NER.replace("  overlapping: true\n", ""), encoding="utf-8")
    assert project_kind(load_project(tmp_path)) is KINDS[NER_KIND]
    # An artifact says so in its meta; older artifacts (no key) are flat NER.
    assert artifact_kind(ModelMeta(kind=NER_KIND, overlapping=True)) is SPANS
    assert artifact_kind(ModelMeta.from_json({"kind": NER_KIND}, "meta.json")) is kind_of(NER_KIND)


def test_it_is_an_ner_project_everywhere_but_the_model() -> None:
    ner = KINDS[NER_KIND]
    assert SPANS.name == NER_KIND and SPANS.overlapping and not ner.overlapping
    assert (SPANS.per_label_key, SPANS.result_key, SPANS.job_result_key) == (ner.per_label_key, "entities", "entities")
    assert SPANS.task_kinds == ner.task_kinds  # the jobs API's CustomEntityRecognition answers overlap
    assert SPANS.parser_factories == ()  # its own probabilities are the confidences
    assert SPANS.factories(False) == ("spancat", "spancat_singlelabel")


def test_the_suggester_covers_the_longest_training_entity_bounded() -> None:
    assert span_tokens([NESTED]) == 3  # "Bank of Paris"
    assert span_tokens([Document("2", "no entities")]) == 0
    assert suggester_sizes(0) == [1, 2, 3]
    assert suggester_sizes(5) == [1, 2, 3, 4, 5]
    assert suggester_sizes(500) == list(range(1, MAX_SPAN_TOKENS + 1))
    pipeline, components = SPANS.components(["PER"], False, longest_span=5)
    assert pipeline == ["tok2vec", "spancat"]
    assert components["spancat"]["suggester"]["sizes"] == [1, 2, 3, 4, 5]
    assert SPANS.initialize(["PER", "ORG"], False) == {"spancat": {"labels": ["PER", "ORG"]}}
    trained, listening = SPANS.listening(["PER"], False, width=64, longest_span=2)
    assert trained == ["spancat"] and listening["spancat"]["model"]["tok2vec"]["width"] == 64
    assert listening["spancat"]["suggester"]["sizes"] == [1, 2]


def test_references_keep_nested_spans_and_decoding_returns_them_with_scores() -> None:
    import numpy
    import spacy

    nlp = spacy.blank("en")
    doc = SPANS.reference(nlp, NESTED, ["PER", "ORG", "LOC"], False)
    assert [(s.text, s.label_) for s in doc.spans[SPANS_KEY]] == [
        ("Ada", "PER"), ("Bank of Paris", "ORG"), ("Paris", "LOC")]
    assert not doc.ents
    doc.spans[SPANS_KEY].attrs["scores"] = numpy.array([0.9, 0.8, 0.7], dtype="f")
    decoded = to_json(SPANS.decode(doc, None, 0.5, False))
    assert [(e["text"], e["category"], e["offset"], e["length"], e["confidenceScore"]) for e in decoded] == [
        ("Ada", "PER", 0, 3, 0.9), ("Bank of Paris", "ORG", 17, 13, 0.8), ("Paris", "LOC", 25, 5, 0.7)]
    assert SPANS.decode(nlp.make_doc("nothing"), None, 0.5, False) == []
    # spancat_singlelabel (an expert config) keeps its argmax probability as a one-element row per span.
    doc.spans[SPANS_KEY].attrs["scores"] = numpy.array([[0.9], [0.8], [0.7]], dtype="f")
    assert [e.confidence for e in SPANS.decode(doc, None, 0.5, False)] == [0.9, 0.8, 0.7]


def test_an_undeclared_type_and_a_repeated_span_are_not_trained() -> None:
    import spacy

    doc = Document("3", "Ada at Bank of Paris", spans=[Span(0, 3, "PER"), Span(0, 3, "PER"), Span(7, 20, "X")])
    reference = SPANS.reference(spacy.blank("en"), doc, ["PER"], False)
    assert [(s.text, s.label_) for s in reference.spans[SPANS_KEY]] == [("Ada", "PER")]
