"""spaCy DocBin files (``nerspec.corpus.formats.docbin``) of overlapping projects: the span group ``sc`` read and
written, the rule between ``doc.spans`` and ``doc.ents``, and malformed span groups refused with located errors."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from nerspec.cli import cli
from nerspec.corpus.formats import docbin, write
from nerspec.corpus.formats.common import ProjectInfo
from nerspec.corpus.model import Document, Span
from nerspec.errors import DataError
from tests.corpus.corpus_fixtures import ner_manifest, write_manifest

pytest.importorskip("spacy")

FLAT = ProjectInfo(name="p", kind="NERProject", annotates_spans=True, labels=("ORG", "LOC"))
OVERLAPPING = ProjectInfo(name="p", kind="NERProject", annotates_spans=True, labels=("ORG", "LOC"), overlapping=True)
TEXT = "The Bank of England raised rates in London."
# "Bank of England" ORG holds "England" LOC; "England raised" crosses it; the same offsets under two types.
NESTED = [Span(4, 19, "ORG"), Span(12, 19, "LOC"), Span(12, 26, "LOC"), Span(4, 19, "LOC"), Span(36, 42, "LOC")]


def _docs() -> list[Document]:
    return [Document("n1", TEXT, list(NESTED), dataset="train"),
            Document("flat", "Rates rose in Paris.", [Span(14, 19, "LOC")], dataset="test"),
            Document("none", "Nothing here.", [])]


def _shape(docs: list[Document]) -> list[tuple[str, str, list[Span], str | None]]:
    return [(d.id, d.text, sorted(d.spans), d.dataset) for d in docs]


def _raw(path: Path) -> list[Any]:
    from spacy.tokens import DocBin
    from spacy.vocab import Vocab

    return list(DocBin().from_disk(path).get_docs(Vocab()))


def _save(path: Path, docs: list[Any]) -> Path:
    from spacy.tokens import DocBin

    DocBin(docs=docs, store_user_data=True).to_disk(path)
    return path


def test_overlapping_documents_round_trip_through_the_span_group(tmp_path: Path) -> None:
    written = write("spacy", _docs(), tmp_path / "out", OVERLAPPING)
    assert _shape(docbin.read(written)) == _shape(_docs())
    # In the file: the span group the span categorizer trains on, and no `ents` (see the module docstring).
    nested = _raw(written)[0]
    assert sorted((s.start_char, s.end_char, s.label_) for s in nested.spans["sc"]) == \
        sorted((s.start, s.end, s.label) for s in NESTED)
    assert list(nested.ents) == []
    assert [list(doc.spans) for doc in _raw(written)] == [["sc"], ["sc"], ["sc"]]


def test_a_span_given_twice_is_written_once_and_token_cuts_are_widened(tmp_path: Path) -> None:
    docs = [Document("d", TEXT, [Span(4, 19, "ORG"), Span(4, 19, "ORG"), Span(13, 19, "LOC")])]
    back = docbin.read(write("spacy", docs, tmp_path, OVERLAPPING))
    assert sorted(back[0].spans) == [Span(4, 19, "ORG"), Span(12, 19, "LOC")]


def test_flat_projects_still_write_ents(tmp_path: Path) -> None:
    flat = [d for d in _docs() if d.id != "n1"]
    written = write("spacy", flat, tmp_path, FLAT)
    assert _shape(docbin.read(written)) == _shape(flat)
    assert [[(e.start_char, e.end_char, e.label_) for e in doc.ents] for doc in _raw(written)] == [[(14, 19, "LOC")], []]
    assert all("sc" not in doc.spans for doc in _raw(written))


def test_the_span_group_wins_over_ents_when_a_document_has_it(tmp_path: Path) -> None:
    import spacy

    nlp = spacy.blank("en")
    both, ents_only, empty_group, other_key = (nlp.make_doc(TEXT) for _ in range(4))
    for doc in (both, ents_only, empty_group, other_key):
        doc.ents = [doc.char_span(4, 19, "ORG")]
    both.spans["sc"] = [both.char_span(4, 19, "ORG"), both.char_span(12, 19, "LOC")]
    empty_group.spans["sc"] = []
    other_key.spans["nested"] = [other_key.char_span(12, 19, "LOC")]  # not the span categorizer's: not read
    back = docbin.read(_save(tmp_path / "d.spacy", [both, ents_only, empty_group, other_key]))
    # An empty group (what any pipeline with a span categorizer writes where it found nothing) defers to ents.
    assert [sorted(d.spans) for d in back] == [
        [Span(4, 19, "ORG"), Span(12, 19, "LOC")], [Span(4, 19, "ORG")], [Span(4, 19, "ORG")], [Span(4, 19, "ORG")]]


def test_an_entity_label_missing_from_the_files_strings_is_a_located_error(tmp_path: Path) -> None:
    import spacy
    from spacy.tokens import DocBin

    doc = spacy.blank("en").make_doc(TEXT)
    doc.ents = [doc.char_span(4, 19, "BANKNAME")]  # not one of spaCy's built-in symbols
    bin_ = DocBin(docs=[doc], store_user_data=True)
    bin_.strings.discard("BANKNAME")  # a hostile or truncated file
    path = tmp_path / "d.spacy"
    path.write_bytes(bin_.to_bytes())
    with pytest.raises(DataError) as raised:
        docbin.read(path)
    [problem] = raised.value.problems
    assert str(problem).startswith(f"{path}: doc 1: doc.ents: an entity's label is not a string of this file")


def test_the_spans_key_is_the_one_the_span_categorizer_trains_on() -> None:
    from nerspec.kinds.spans import SPANS_KEY

    assert docbin.SPANS_KEY == SPANS_KEY == "sc"


def _with_group(tmp_path: Path, packed: list[bytes]) -> Path:
    """A one-document DocBin whose span group ``sc`` holds ``packed`` spans (spaCy's ``>QQQllll`` records: id,
    kb_id, label hash, start token, end token, start char, end char), as a hostile file could."""
    import spacy
    import srsly
    from spacy.tokens import DocBin

    doc = spacy.blank("en").make_doc(TEXT)
    doc.spans["sc"] = [doc.char_span(4, 19, "ORG")]
    doc.user_data["id"] = "n1"
    bin_ = DocBin(docs=[doc], store_user_data=True)
    [group] = srsly.msgpack_loads(bin_.span_groups[0])
    fields = srsly.msgpack_loads(group)
    fields["spans"] = packed
    bin_.span_groups[0] = srsly.msgpack_dumps({srsly.msgpack_dumps(fields): ["sc"]})
    path = tmp_path / "data" / "data.spacy"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bin_.to_bytes())
    return path


def _span(label: int, start: int, end: int, start_char: int, end_char: int) -> bytes:
    return struct.pack(">QQQllll", 0, 0, label, start, end, start_char, end_char)


ORG = 383  # spaCy's symbol for "ORG" (its strings table always knows it)
MALFORMED = {  # each after a valid span: the second of the group
    "token range past the end": (_span(ORG, 1, 900, 4, 19),
                                 "doc.spans['sc'][1]: token range outside the document's 9 tokens ([E035] "),
    "negative token range": (_span(ORG, -3, 1, 0, 3), "doc.spans['sc'][1]: token range outside the document's 9 tokens"),
    "label not a string": (_span(12345, 1, 4, 4, 19),
                           "doc.spans['sc'][1]: span 4..19: label 12345 is not a string of this file"),
    "no label": (_span(0, 1, 4, 4, 19), "doc.spans['sc'][1]: span 4..19 has no label"),
    "corrupt record": (b"short", "not a spaCy DocBin document: unpack requires a buffer of 40 bytes"),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_a_malformed_span_group_is_a_located_error(tmp_path: Path, case: str) -> None:
    packed, message = MALFORMED[case]
    path = _with_group(tmp_path, [_span(ORG, 1, 4, 4, 19), packed])
    with pytest.raises(DataError) as raised:
        docbin.read(path)
    [problem] = raised.value.problems
    assert str(problem).startswith(f"{path}: doc 1: {message}")


def _project(tmp_path: Path, overlapping: bool) -> Path:
    root = tmp_path / "p"
    write_manifest(root, ner_manifest(entities=("ORG", "LOC"), extra_entities="  overlapping: true\n" if overlapping else "",
                                      data="{name: bin, format: spacy, path: data/data.spacy}",
                                      split="{policy: manual}"))
    return root


def test_validate_locates_malformed_spans_and_exits_1(tmp_path: Path) -> None:
    root = _project(tmp_path, overlapping=True)
    _with_group(root, [_span(ORG, 1, 4, 4, 19), _span(12345, 1, 900, 4, 19)])
    result = CliRunner().invoke(cli, ["validate", str(root)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "data/data.spacy: doc 1: doc.spans['sc'][1]: token range outside the document's 9 tokens" in result.stderr
    # Character offsets outside the text, on a valid token range: read, then located by the checks.
    _with_group(root, [_span(ORG, 1, 4, 4, 900)])
    result = CliRunner().invoke(cli, ["validate", str(root)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "span 4..900 is outside the text (length 43)" in result.stderr


def test_a_flat_project_given_a_span_group_that_overlaps_gets_its_located_error(tmp_path: Path) -> None:
    root = _project(tmp_path, overlapping=False)
    (root / "data").mkdir()
    write("spacy", _docs(), root / "data", OVERLAPPING)
    result = CliRunner().invoke(cli, ["validate", str(root)])
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert "data/data.spacy:1:13: n1[12:19]: LOC span overlaps LOC span 4..19: The Bank of [England] raised" \
           in result.stderr
    # The same file is valid data for an overlapping project.
    write_manifest(root, (root / "nerspec.yaml").read_text().replace("  data:", "  overlapping: true\n  data:"))
    assert CliRunner().invoke(cli, ["validate", str(root)]).exit_code == 0


def test_a_span_group_bomb_and_too_many_spans_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    many = _with_group(tmp_path, [_span(ORG, 1, 4, 4, 19)] * 10_001)
    with pytest.raises(DataError) as raised:
        docbin.read(many)
    assert str(raised.value) == f"{many}: doc 1: 10001 spans in doc.spans['sc']; the limit is 10000"
    # The same file is a bomb under a smaller budget: refused before spaCy inflates it.
    monkeypatch.setattr(docbin, "MIN_INFLATE_BUDGET", 64 * 1024)
    with pytest.raises(DataError, match="refused as a possible zlib bomb"):
        docbin.read(many)


def test_export_of_an_overlapping_project_writes_spacy_and_still_refuses_conll(tmp_path: Path) -> None:
    root = _project(tmp_path, overlapping=True)
    write("jsonl", [Document("n1", TEXT, list(NESTED), dataset="train")], root / "data", OVERLAPPING)
    manifest = (root / "nerspec.yaml").read_text()
    write_manifest(root, manifest.replace("format: spacy, path: data/data.spacy", "format: jsonl, path: data/data.jsonl"))
    result = CliRunner().invoke(cli, ["export", str(root), "--format", "spacy", "-o", str(tmp_path / "bin")])
    assert result.exit_code == 0, result.output
    assert _shape(docbin.read(tmp_path / "bin" / "data.spacy")) == [("n1", TEXT, sorted(NESTED), "train")]
    refused = CliRunner().invoke(cli, ["export", str(root), "--format", "conll", "-o", str(tmp_path / "conll")])
    assert refused.exit_code == 1 and "Traceback" not in refused.output
    assert "data/data.jsonl:1:1: n1[4:19]: `conll` cannot hold overlapping spans: " in refused.stderr
    assert "; export as azure, doccano, jsonl, labelstudio, prodigy, spacy\n" in refused.stderr
    assert not (tmp_path / "conll").exists()


@pytest.mark.slow
def test_the_spans_read_from_an_exported_docbin_train_the_span_categorizer(
    spans_model: tuple[Path, Path, Any], tmp_path: Path
) -> None:
    """The nested project's data exported to `spacy` and read back is its corpus; as the span kind's references,
    the trained span categorizer scores well against it and takes a training step on it (no new training)."""
    from spacy.training import Example

    from nerspec.corpus.load import load_corpus
    from nerspec.kinds.spans import SpanKind
    from nerspec.manifest.load import load_projects
    from nerspec.predict import load

    root, _state, artifact = spans_model
    exported = CliRunner().invoke(cli, ["export", str(root), "--format", "spacy", "-o", str(tmp_path / "bin")])
    assert exported.exit_code == 0, exported.output
    read = docbin.read(tmp_path / "bin" / "data.spacy")
    loaded = load_corpus(load_projects([root])[0]).documents
    assert [(d.id, d.text, sorted(d.spans)) for d in read] == [(d.id, d.text, sorted(d.spans)) for d in loaded]
    assert any(len(d.spans) == 3 for d in read)  # person, organisation and the place nested in it

    nlp = load(artifact.path).nlp
    labels = ["PERSON", "ORG", "LOC"]
    examples = [Example(nlp.make_doc(d.text), SpanKind().reference(nlp, d, labels, False)) for d in read[:40]]
    assert nlp.evaluate(examples)["spans_sc_f"] > 0.5
    losses: dict[str, float] = {}
    nlp.update(examples, sgd=nlp.resume_training(), losses=losses)
    assert losses["spancat"] > 0


@pytest.mark.parametrize(("cats", "message"), [
    ({"A": "yes"}, "doc.cats: a `cats` score must be a number, not 'yes'"),
    ({"A": None}, "doc.cats: a `cats` score must be a number, not None"),
    (["A"], "doc.cats: `cats` must be an object, not list"),
], ids=["string score", "null score", "list"])
def test_doc_cats_of_the_wrong_shape_are_located_errors(tmp_path: Path, cats: object, message: str) -> None:
    from spacy.tokens import DocBin

    written = docbin.write(_docs()[1:], tmp_path, FLAT)
    stored = DocBin(store_user_data=True).from_disk(written)
    stored.cats[0] = cats  # a file's msgpack holds any value here: each was exit 70 (TypeError on `score >= 0.5`)
    stored.to_disk(written)
    with pytest.raises(DataError) as caught:
        docbin.read(written)
    assert [(p.where, p.message) for p in caught.value.problems] == [("doc 1", message)]


def test_doc_cats_with_integer_names_read_as_their_digits(tmp_path: Path) -> None:
    from spacy.tokens import DocBin

    written = docbin.write(_docs()[1:], tmp_path, FLAT)
    stored = DocBin(store_user_data=True).from_disk(written)
    stored.cats[0] = {7: 1.0, 8: 0.0}  # was exit 70 (an int label reached the NFC step)
    stored.to_disk(written)
    assert docbin.read(written)[0].labels == ["7"]


def test_export_to_spacy_of_a_language_spacy_lacks_is_a_clear_error(tmp_path: Path) -> None:
    info = ProjectInfo(name="p", kind="NERProject", annotates_spans=True, labels=("ORG", "LOC"), language="qq")
    with pytest.raises(DataError, match="spaCy has no tokenizer for the language `qq`"):  # was exit 70 (E048)
        docbin.write(_docs()[1:], tmp_path, info)
