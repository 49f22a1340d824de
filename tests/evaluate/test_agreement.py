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
