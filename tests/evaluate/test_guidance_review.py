"""Guidance rules and the review test set."""

from __future__ import annotations

import subprocess
import sys

from nerspec.corpus.model import Document, Span
from nerspec.metrics.review import mismatches_only
from tests.evaluate.evaluate_helpers import evaluation_json


def _doc(k: int, spans: list[Span], text: str = "Alice visited Paris and Acme Corp.") -> Document:
    return Document(str(k), text, spans)


def codes(result: dict) -> dict[str, list[list[str]]]:
    out: dict[str, list[list[str]]] = {}
    for g in result["guidance"]:
        out.setdefault(g["code"], []).append(g["labels"])
    return out


def test_ner_guidance_rules() -> None:
    per, loc, org = Span(0, 5, "PER"), Span(14, 19, "LOC"), Span(24, 33, "ORG")
    # Train: 60 PER, 20 LOC, 3 ORG, 2 MISC -> few ORG/MISC, LOC below recommended, imbalance 30x.
    train = [_doc(k, [per]) for k in range(60)]
    train += [_doc(100 + k, [loc]) for k in range(20)]
    train += [_doc(200 + k, [org]) for k in range(3)]
    train += [_doc(300 + k, [Span(0, 5, "MISC")]) for k in range(2)]
    # Test: LOC-heavy (distribution shift), no MISC, LOC often predicted as ORG, "Alice" untagged once.
    gold = [_doc(k, [loc]) for k in range(8)] + [_doc(10, [per, org]), _doc(11, [])]
    pred = [_doc(k, [Span(14, 19, "ORG") if k < 3 else loc]) for k in range(8)]
    pred += [_doc(10, [per, org]), _doc(11, [Span(0, 5, "PER")])]
    result = evaluation_json("NERProject", gold, pred, train_docs=train, labels=["PER", "LOC", "ORG", "MISC"],
                      ci_resamples=20)
    c = codes(result)
    assert sorted(c["few_instances"]) == [["MISC"], ["ORG"]]
    assert c["below_recommended"] == [["LOC"]]
    assert c["missing_in_test"] == [["MISC"]]
    assert c["imbalance"] == [["PER", "MISC"]]
    assert "LOC" in c["distribution_mismatch"][0]
    assert c["ambiguous_schema"] == [["LOC", "ORG"]]
    # "Alice" is tagged PER (and, in the MISC documents, MISC) elsewhere.
    assert c["possibly_incomplete_tagging"] == [["MISC", "PER"]]
    assert result["data"]["train"]["labels"]["PER"] == {"instances": 60, "documents": 60}
    assert result["data"]["test"]["documents"] == 10
    assert all(g["severity"] in ("warning", "info") and g["message"] for g in result["guidance"])


def test_classification_guidance() -> None:
    train = [Document(f"t{k}", "x", labels=["a"]) for k in range(100)] + [Document("t-b", "x", labels=["b"])]
    gold = [Document(str(k), "x", labels=["a" if k < 5 else "b"]) for k in range(10)]
    pred = [Document(str(k), "x", labels=["a"]) for k in range(10)]
    c = codes(evaluation_json("TextClassificationProject", gold, pred, train_docs=train, ci_resamples=20))
    assert c["few_documents"] == [["b"]]
    assert c["imbalance"] == [["a", "b"]]
    assert c["ambiguous_schema"] == [["b", "a"]]


def _confused(n_test: int, n_confused: int) -> list[list[str]]:
    """ambiguous_schema labels when `n_confused` of `n_test` gold ``a`` documents are predicted ``b``."""
    gold = [Document(str(k), "x", labels=["a"]) for k in range(n_test)] + [Document("b0", "x", labels=["b"])]
    pred = [Document(str(k), "x", labels=["b" if k < n_confused else "a"]) for k in range(n_test)]
    pred.append(Document("b0", "x", labels=["b"]))
    return codes(evaluation_json("TextClassificationProject", gold, pred, ci_resamples=20)).get("ambiguous_schema", [])


def test_ambiguous_schema_needs_a_share_and_a_count() -> None:
    assert _confused(10, 1) == []  # 10%, but one slip on a small test set is noise
    assert _confused(5, 2) == []  # 40%, still only two documents
    assert _confused(30, 3) == [["a", "b"]]  # 10% and 3: both thresholds met
    assert _confused(40, 3) == []  # 3 documents, but only 7.5% of a


def test_ambiguous_schema_message_keeps_the_share() -> None:
    gold = [Document(str(k), "x", labels=["a"]) for k in range(30)]
    pred = [Document(str(k), "x", labels=["b" if k < 3 else "a"]) for k in range(30)]
    found = [g for g in evaluation_json("TextClassificationProject", gold, pred, ci_resamples=20)["guidance"]
             if g["code"] == "ambiguous_schema"]
    assert [g["message"] for g in found] == [
        "3 of 30 test documents of a (10%) were predicted as b: ambiguous schema: merge or clarify these labels"]


def test_review_marks_and_mismatch_filter() -> None:
    text = "Alice visited Paris."
    gold = [Document("1", text, [Span(0, 5, "PER"), Span(14, 19, "LOC")]), Document("2", text, [Span(0, 5, "PER")])]
    pred = [Document("1", text, [Span(0, 5, "PER"), Span(14, 20, "LOC")]), Document("2", text, [Span(0, 5, "PER")])]
    docs = evaluation_json("NERProject", gold, pred, ci_resamples=20)["documents"]
    first = docs[0]
    assert [(g["label"], g["status"]) for g in first["gold"]] == [("PER", "TP"), ("LOC", "FN")]
    assert first["gold"][1]["error"].startswith("boundary error: predicted 'Paris.'")
    assert first["predicted"][1]["status"] == "FP" and first["predicted"][1]["text"] == "Paris."
    assert [d["id"] for d in mismatches_only(docs)] == ["1"]


def test_predictions_aligned_by_id() -> None:
    text = "Alice"
    gold = [Document("1", text, [Span(0, 5, "PER")]), Document("2", "Bob", [])]
    pred = [Document("2", "Bob", []), Document("1", text, [Span(0, 5, "PER")])]
    assert evaluation_json("NERProject", gold, pred, ci_resamples=20)["micro"]["f1"] == 1.0


def test_import_stays_light() -> None:
    code = ("import sys, nerspec.evaluate, nerspec.commands.evaluate;"
            "print(','.join(m for m in ('numpy', 'spacy', 'sklearn') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
