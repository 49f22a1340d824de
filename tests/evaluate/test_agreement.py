"""Annotator agreement: pairwise strict span F1 (overall, per pair, per type), Cohen's kappa, documents to adjudicate."""

from __future__ import annotations

import pytest

from nerspec.corpus.model import Annotation, Document, Span
from nerspec.evaluate.agreement import _cohen, agreement


def doc(doc_id: str, *annotations: Annotation) -> Document:
    return Document(id=doc_id, text="Ann met Bob in Oslo.", annotations=list(annotations))


def test_span_f1_per_pair_per_type_and_disagreeing_documents() -> None:
    ann, bob, oslo = Span(0, 3, "PER"), Span(8, 11, "PER"), Span(15, 19, "LOC")
    docs = [
        doc("same", Annotation("x", (ann, bob)), Annotation("y", (ann, bob)), Annotation("z", (ann, bob))),
        doc("differ", Annotation("x", (ann, oslo)), Annotation("y", (ann,)), Annotation("z", (ann, Span(15, 19, "PER")))),
        doc("single", Annotation("x", (ann,))),
    ]
    found = agreement(docs, spans=True)
    pairs = {(p.a, p.b): p for p in found.pairs}
    assert pairs[("x", "y")].f1 == pytest.approx(2 * 3 / (4 + 3))  # same: 2 of 2+2; differ: 1 of 2+1
    assert pairs[("y", "z")].f1 == pytest.approx(2 * 3 / (3 + 4))
    assert pairs[("x", "z")].f1 == pytest.approx(2 * 3 / (4 + 4))
    assert found.f1 == pytest.approx(2 * 9 / (7 + 7 + 8))
    assert found.per_label == {"LOC": 0.0, "PER": pytest.approx(2 * 9 / 20)}
    assert [(d.id, d.annotators, d.labelings) for d in found.documents] == [("differ", ["x", "y", "z"], 3)]
    assert found.annotated == 2
    assert set(found.to_json()) == {"f1", "pairs", "per_label", "documents", "annotated"}


def test_cohens_kappa_single_and_multi_label() -> None:
    # The textbook example: 50 items, raters agree on 20 yes + 15 no; yes 25/30 of 50 each.
    x = ["y"] * 20 + ["y"] * 5 + ["n"] * 10 + ["n"] * 15
    y = ["y"] * 20 + ["n"] * 5 + ["y"] * 10 + ["n"] * 15
    assert _cohen(x, y) == pytest.approx(0.4)
    docs = [Document(id=str(i), text="t", annotations=[Annotation("a", labels=(u,)), Annotation("b", labels=(v,))])
            for i, (u, v) in enumerate(zip(x, y))]
    single = agreement(docs, spans=False)
    assert single.kappa == pytest.approx(0.4) and single.f1 is None and single.to_json()["kappa"] == 0.4
    multi = agreement(docs, spans=False, multilabel=True)
    assert multi.kappa == pytest.approx(0.4)  # each class's yes/no kappa is the same table here


class _CountedName(str):
    """An annotator name that counts how often it is hashed (a dict lookup, set or key built with it)."""

    hashes = 0

    def __hash__(self) -> int:
        _CountedName.hashes += 1
        return str.__hash__(self)


def test_work_grows_with_each_documents_annotators_not_with_the_whole_crowd() -> None:
    # A crowd: 120 annotators, two per document. Every pair of the crowd looked into every document (7,140 pairs x
    # 60 documents; 600 annotators on 3,000 documents took 38 s); only the pairs that share a document count.
    crowd = [_CountedName(f"u{i:03d}") for i in range(120)]
    ann = Span(0, 3, "PER")
    docs = [doc(f"d{i}", Annotation(crowd[2 * i], (ann,)), Annotation(crowd[2 * i + 1], ())) for i in range(60)]
    _CountedName.hashes = 0
    found = agreement(docs, spans=True)
    assert [(p.a, p.b, p.documents, p.f1) for p in found.pairs[:2]] == [("u000", "u001", 1, 0.0), ("u002", "u003", 1, 0.0)]
    assert len(found.pairs) == 60 and found.annotated == 60
    assert _CountedName.hashes < 40 * len(docs), _CountedName.hashes
