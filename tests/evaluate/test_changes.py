"""Per-document changes against the deployed model: newly wrong first, the differing items, capped."""

from __future__ import annotations

from nerspec.corpus.model import Document, Span
from nerspec.evaluate import Evaluation, evaluate
from nerspec.evaluate.changes import document_changes


def _doc(i: int, spans: list[tuple[int, int, str]]) -> Document:
    return Document(id=f"d{i}", text="Alice met Bob in Paris today.", spans=[Span(*s) for s in spans])


GOLD = [(0, 5, "PER"), (10, 13, "PER"), (17, 22, "LOC")]


def _eval(preds: list[list[tuple[int, int, str]]]) -> Evaluation:
    gold = [_doc(i, GOLD) for i in range(len(preds))]
    return evaluate("NERProject", gold, [_doc(i, p) for i, p in enumerate(preds)], ci_resamples=10)


def test_newly_wrong_first_with_the_differing_entities() -> None:
    baseline = _eval([GOLD, GOLD[:2], GOLD, GOLD[:1]])
    candidate = _eval([GOLD[:2] + [(17, 22, "PER")], GOLD, GOLD, GOLD[:1]])
    changes = document_changes(candidate, baseline, against={"deployment": "production", "fingerprint": "abc"}).to_json()
    assert (changes["newly_wrong"], changes["newly_right"], changes["more"]) == (1, 1, 0)
    first, second = changes["documents"]
    assert (first["id"], first["change"]) == ("d0", "newly wrong")
    assert first["candidate_only"] == [{"label": "PER", "start": 17, "end": 22, "text": "Paris", "correct": False}]
    assert first["baseline_only"] == [{"label": "LOC", "start": 17, "end": 22, "text": "Paris", "correct": True}]
    assert (second["id"], second["change"], second["baseline_only"]) == ("d1", "newly right", [])
    assert second["candidate_only"][0]["correct"] is True
    assert changes["against"]["deployment"] == "production"


def test_capped_with_a_count_of_the_rest() -> None:
    baseline = _eval([GOLD] * 8)
    candidate = _eval([GOLD[:1]] * 8)
    changes = document_changes(candidate, baseline, limit=3).to_json()
    assert len(changes["documents"]) == 3 and changes["more"] == 5 and changes["newly_wrong"] == 8


def test_classification_items() -> None:
    gold = [Document(id="a", text="x", labels=["sports"]), Document(id="b", text="y", labels=["tech"])]
    base = evaluate("TextClassificationProject", gold, [Document(id="a", text="x", labels=["sports"]),
                                                        Document(id="b", text="y", labels=["sports"])], ci_resamples=10)
    cand = evaluate("TextClassificationProject", gold, [Document(id="a", text="x", labels=["tech"]),
                                                        Document(id="b", text="y", labels=["tech"])], ci_resamples=10)
    changes = document_changes(cand, base).to_json()
    assert [(d["id"], d["change"]) for d in changes["documents"]] == [("a", "newly wrong"), ("b", "newly right")]
    assert changes["documents"][0]["candidate_only"] == [{"label": "tech", "correct": False}]
    assert changes["documents"][0]["baseline_only"] == [{"label": "sports", "correct": True}]
