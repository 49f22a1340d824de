"""Label Studio, doccano and Prodigy: import of each tool's real shapes, and lossless export -> import."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nerspec.corpus.formats import conll, docbin, doccano, labelstudio, module, prodigy
from nerspec.corpus.formats.common import ProjectInfo
from nerspec.corpus.model import Document, Span
from nerspec.errors import DataError
from nerspec.kinds import kind_of
from tests.corpus.test_formats import ANY_ID, TEXT, ner_documents

NER = ProjectInfo(name="p", kind="NERProject", annotates_spans=True, labels=("Person", "City"))
LABELING = (labelstudio, doccano, prodigy)


def _strip(docs: list[Document]) -> list[tuple]:
    return [(d.id, d.text, sorted(d.spans), d.labels, d.dataset, d.status, d.language) for d in docs]


@given(ner_documents(), st.sampled_from(["", "draft"]), st.sampled_from([None, "de", "zh", "en-us"]))
@settings(max_examples=60, deadline=None)
def test_ner_round_trip_keeps_ids_texts_and_every_span(docs: list[Document], status: str, language: str | None) -> None:
    for doc in docs:
        doc.status, doc.language = status, language
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in LABELING:
            out = Path(tmp) / fmt.__name__.rsplit(".", 1)[1]
            assert _strip(fmt.read(fmt.write(docs, out, NER))) == _strip(docs), fmt.__name__


@given(st.lists(st.tuples(ANY_ID, TEXT, st.lists(st.sampled_from(["A", "B", "C"]), unique=True)), min_size=1, max_size=6))
@settings(max_examples=40, deadline=None)
def test_classification_round_trip(records: list[tuple[str, str, list[str]]]) -> None:
    info = ProjectInfo(name="c", kind="TextClassificationProject", annotates_spans=False, labels=("A", "B", "C"), multilabel=True)
    docs = [Document(i, t, labels=labels) for i, t, labels in records]
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in LABELING:
            out = Path(tmp) / fmt.__name__.rsplit(".", 1)[1]
            assert _strip(fmt.read(fmt.write(docs, out, info))) == _strip(docs), fmt.__name__


def test_every_export_format_is_registered_and_writes(tmp_path: Path) -> None:
    docs = [Document("d1", "Ann met 北京 😀 Bob", [Span(0, 3, "Person"), Span(8, 10, "City"), Span(13, 16, "Person")])]
    for fmt in ("azure", "jsonl", "labelstudio", "doccano", "prodigy", "conll", "spacy"):
        written = module(fmt).write(docs, tmp_path / fmt, NER)
        back = module(fmt).read(written, tmp_path / fmt)
        assert [(s.text(back[0].text), s.label) for s in back[0].spans] == [("Ann", "Person"), ("北京", "City"), ("Bob", "Person")]
    assert (tmp_path / "labelstudio" / "labelstudio-config.xml").read_text().count("<Label value=") == 2
    assert docbin.read(tmp_path / "spacy" / "data.spacy")[0].id == "d1"
    assert conll.read(tmp_path / "conll" / "data.conll")[0].text == "Ann met 北京 😀 Bob"


def _ls(tmp_path: Path, tasks: list) -> Path:
    path = tmp_path / "export.json"
    path.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    return path


def _region(start: int, end: int, label: str, text: str | None = None) -> dict:
    value = {"start": start, "end": end, "labels": [label]}
    if text is not None:
        value["text"] = text
    return {"from_name": "label", "to_name": "text", "type": "labels", "value": value}


def test_labelstudio_takes_the_latest_uncancelled_annotation_and_notes_disagreement(tmp_path: Path) -> None:
    text = "😀 Ann in 東京"
    tasks = [{"id": 7, "data": {"text": text}, "annotations": [
        {"id": 1, "completed_by": 3, "created_at": "2024-01-01T10:00:00Z", "result": [_region(2, 5, "Person", "Ann")]},
        {"id": 2, "completed_by": 4, "created_at": "2024-01-02T10:00:00Z",
         "result": [_region(2, 5, "Person"), _region(9, 11, "City", "東京")]},
        {"id": 3, "completed_by": 5, "created_at": "2024-01-03T10:00:00Z", "was_cancelled": True, "result": []},
    ]}]
    [doc] = labelstudio.read(_ls(tmp_path, tasks))
    assert doc.id == "7" and doc.status == ""
    assert [(s.text(text), s.label) for s in doc.spans] == [("Ann", "Person"), ("東京", "City")]
    assert "3 annotations" not in doc.disagreement and "2 annotations (3, 4)" in doc.disagreement


def test_labelstudio_utf16_offsets_of_old_versions_are_detected_by_the_region_text(tmp_path: Path) -> None:
    text = "💩This is an annotation."
    [doc] = labelstudio.read(_ls(tmp_path, [{"data": {"text": text}, "annotations": [
        {"result": [_region(13, 23, "Thing", "annotation")]}]}]))
    assert doc.spans[0].text(text) == "annotation"


def test_labelstudio_choices_predictions_and_unannotated(tmp_path: Path) -> None:
    choice = {"from_name": "class", "to_name": "text", "type": "choices", "value": {"choices": ["A", "B"]}}
    tasks = [
        {"id": 1, "data": {"text": "one", "id": "doc-1"}, "annotations": [{"result": [choice]}]},
        {"id": 2, "data": {"text": "two"}, "predictions": [{"model_version": "m", "score": 0.4, "result": [choice]}]},
        {"id": 3, "data": {"text": "three"}},
    ]
    docs = labelstudio.read(_ls(tmp_path, tasks))
    assert [(d.id, d.labels, d.status) for d in docs] == [
        ("doc-1", ["A", "B"], ""), ("2", ["A", "B"], "draft"), ("3", [], "unlabeled")]


def test_labelstudio_errors_point_at_the_task(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"\[1\]\.data.*no text"):
        labelstudio.read(_ls(tmp_path, [{"data": {"text": "ok"}}, {"data": {"image": "x.png"}}]))
    with pytest.raises(DataError, match="list of tasks"):
        labelstudio.read(_ls(tmp_path, "nope"))  # type: ignore[arg-type]


def test_doccano_shapes(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in [
        {"id": 1, "text": "Ann 😀 Oslo", "label": [[0, 3, "Person"], [6, 10, "City"]]},
        {"id": 2, "text": "Bob", "entities": [{"id": 9, "start_offset": 0, "end_offset": 3, "label": "Person"}], "relations": []},
        {"id": 3, "text": "x", "label": ["A", "B"]},
        {"id": 4, "text": "y", "label": [], "draft": True},
    ]), encoding="utf-8")
    docs = doccano.read(path)
    assert [(d.id, [s.text(d.text) for s in d.spans], d.labels, d.status) for d in docs] == [
        ("1", ["Ann", "Oslo"], [], ""), ("2", ["Bob"], [], ""), ("3", [], ["A", "B"], ""), ("4", [], [], "draft")]


def test_prodigy_answers_and_ids(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in [
        {"text": "Ann", "spans": [{"start": 0, "end": 3, "label": "Person", "token_start": 0, "token_end": 0}],
         "answer": "accept", "_input_hash": 123, "meta": {"id": "m1"}},
        {"text": "Bob", "spans": [], "answer": "reject", "_input_hash": 456},
        {"text": "Cy", "label": "A", "answer": "accept", "_input_hash": 789},
        "not an object",
    ]), encoding="utf-8")
    with pytest.raises(DataError, match=r":4:1: each line must be a JSON object"):
        prodigy.read(path)
    path.write_text(path.read_text().rsplit("\n", 1)[0], encoding="utf-8")
    docs = prodigy.read(path)
    assert [(d.id, len(d.spans), d.labels, d.status) for d in docs] == [
        ("m1", 1, [], ""), ("456", 0, [], "unlabeled"), ("789", 0, ["A"], "")]


def test_annotator_disagreement_is_a_lint_warning(tmp_path: Path) -> None:
    from nerspec.corpus.lint import annotator_disagreements
    from nerspec.corpus.model import Corpus

    tasks = [{"id": 1, "data": {"text": "Ann"}, "annotations": [
        {"completed_by": 1, "result": [_region(0, 3, "Person")]}, {"completed_by": 2, "result": []}]},
        {"id": 2, "data": {"text": "Bob"}, "annotations": [
            {"completed_by": 1, "result": [_region(0, 3, "Person")]}, {"completed_by": 2, "result": [_region(0, 3, "Person")]}]}]
    findings = annotator_disagreements(Corpus(labelstudio.read(_ls(tmp_path, tasks))))
    assert [(f.code, f.doc_id, f.severity) for f in findings] == [("lint_annotator_disagreement", "1", "warning")]
    assert "2 annotations (1, 2) give 2 different labelings; the latest (2) is used" in findings[0].message


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 30) | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["data", "text", "id", "annotations", "result", "value", "start", "end", "labels", "type",
                         "choices", "predictions", "was_cancelled", "label", "entities", "spans", "accept",
                         "answer", "meta", "draft", "dataset", "start_offset", "end_offset"]), inner, max_size=6),
    max_leaves=25,
)


TASK = st.fixed_dictionaries({"data": st.fixed_dictionaries({"text": st.text(max_size=8)}), "annotations": JSON,
                              "predictions": JSON, "label": JSON, "spans": JSON, "entities": JSON, "text": st.text(max_size=5)})


@given(st.lists(JSON | TASK, max_size=4))
@settings(max_examples=200, deadline=None)
def test_malformed_input_is_a_data_error_never_a_crash(values: list) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        ls = Path(tmp) / "x.json"
        ls.write_text(json.dumps(values), encoding="utf-8")
        lines = Path(tmp) / "x.jsonl"
        lines.write_text("\n".join(json.dumps(v) for v in values), encoding="utf-8")
        for fmt, path in ((labelstudio, ls), (doccano, lines), (prodigy, lines)):
            try:
                fmt.read(path)
            except DataError:
                pass


def test_label_studio_source_sets_aside_unannotated_tasks_and_blocks_drafts(tmp_path: Path) -> None:
    from nerspec.corpus.checks import check_corpus
    from nerspec.corpus.load import load_corpus
    from nerspec.manifest.load import load_project
    from tests.corpus.corpus_fixtures import ner_manifest, write_manifest

    choice = [_region(0, 3, "Person", "Ann")]
    tasks = [{"id": i, "data": {"text": f"Ann {i}"}, "annotations": [{"result": choice}]} for i in range(3)]
    tasks += [{"id": 10, "data": {"text": "Bob"}}, {"id": 11, "data": {"text": "Cy"}, "predictions": [{"result": []}]}]
    _ls(tmp_path, tasks)
    for allow in ("", ", allow_drafts: true"):
        write_manifest(tmp_path, ner_manifest(data="{name: ls, format: labelstudio, path: export.json" + allow + "}"))
        project = load_project(tmp_path)
        corpus = load_corpus(project)
        assert [d.id for d in corpus] == ["0", "1", "2"] and [d.id for d in corpus.set_aside] == ["10", "11"]
        found = {f.code: f for f in check_corpus(project, corpus, kind_of(project.kind)) if f.code in ("unreviewed_drafts", "unlabeled_records")}
        assert found["unlabeled_records"].severity == "warning"
        assert found["unreviewed_drafts"].severity == ("warning" if allow else "error")
        assert found["unreviewed_drafts"].message.startswith("1 unreviewed draft (model pre-labels, first: 11)")


def test_docbin_export_of_overlapping_spans_is_a_clear_error(tmp_path: Path) -> None:
    docs = [Document("x", "abc def ghi", [Span(0, 5, "Person"), Span(2, 7, "City")])]
    with pytest.raises(DataError, match="`x` has overlapping spans"):
        docbin.write(docs, tmp_path, NER)


def test_labelstudio_reports_every_bad_task_at_once_in_the_files_words(tmp_path: Path) -> None:
    good = {"data": {"text": "Alice"}, "annotations": [{"result": []}]}
    region = {"type": "labels", "value": {"start": "a", "end": 1, "labels": ["Person"]}}
    tasks = [good, 5, good, {"data": {"text": "Bob"}, "annotations": [{"result": [7]}]},
             {"data": {"text": "Eve"}, "annotations": [{"result": [region]}]}]
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps(tasks), encoding="utf-8")
    with pytest.raises(DataError) as caught:  # was: only the first bad task, and Python's words for a region
        labelstudio.read(path)
    assert [(p.where, p.message) for p in caught.value.problems] == [
        ("[1]", "each task must be an object with a `data` object"),
        ("[3].annotations", "malformed result region: a result region and its `value` must be objects, not int"),
        ("[4].annotations", "malformed result region: `start` must be an integer, not 'a'"),
    ]
