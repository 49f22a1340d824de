"""What changed, document by document: test documents the candidate gets newly wrong or newly right.

Aggregate deltas hide regressions (a model can gain F1 while breaking documents that used to be right).
Both evaluations must come from the same test split (apply and evaluate score the deployed model on the
candidate's split); documents are matched by id. A document is *wrong* when its review entry is a mismatch
(any missed, spurious or mistyped entity or class). Per changed document: the predictions only the candidate
makes and those only the baseline made, each marked correct or not, so a reviewer sees what broke or what
was fixed without diffing two lists.

JSON (Evaluation JSON ``changes``)::

    {"against": {"deployment", "fingerprint"}, "newly_wrong": N, "newly_right": M,
     "documents": [{"id", "change": "newly wrong" | "newly right",
                    "candidate_only": [item], "baseline_only": [item]}],   # newly wrong first, at most ``limit``
     "more": K}                                                            # changed documents not listed

``item``: NER ``{"label", "start", "end", "text", "correct"}``; classification ``{"label", "correct"}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from nerspec.evaluate.record import ChangedDocument, Changes, Evaluation

if TYPE_CHECKING:
    from nerspec.manifest.schema import ClassificationSpec, NERSpec

LIMIT = 50
Item = Mapping[str, object]  # a review entry's predicted item


def _item(item: Item) -> dict[str, object]:
    out: dict[str, object] = {k: item[k] for k in ("label", "start", "end", "text") if k in item}
    out["correct"] = item.get("status") == "TP"
    return out


def _key(item: Item) -> tuple[object, ...]:
    return (item.get("start"), item.get("end"), item.get("label"))


def _items(doc: Mapping[str, object]) -> list[Item]:
    found = doc.get("predicted")
    return [i for i in found if isinstance(i, dict)] if isinstance(found, list) else []


def _diff(candidate: list[Item], baseline: list[Item]) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    ours = {_key(i) for i in candidate}
    theirs = {_key(i) for i in baseline}
    return [_item(i) for i in candidate if _key(i) not in theirs], [_item(i) for i in baseline if _key(i) not in ours]


def document_changes(
    candidate: Evaluation, baseline: Evaluation, *, against: dict[str, str] | None = None, limit: int = LIMIT
) -> Changes:
    """The ``changes`` block: newly wrong then newly right documents of ``candidate`` vs ``baseline``."""
    before = {str(d.get("id")): d for d in baseline.documents}
    wrong: list[ChangedDocument] = []
    right: list[ChangedDocument] = []
    for doc in candidate.documents:
        old = before.get(str(doc.get("id")))
        if old is None or bool(doc.get("mismatch")) == bool(old.get("mismatch")):
            continue
        candidate_only, baseline_only = _diff(_items(doc), _items(old))
        entry = ChangedDocument(
            id=str(doc.get("id")),
            change="newly wrong" if doc.get("mismatch") else "newly right",
            candidate_only=candidate_only,
            baseline_only=baseline_only,
        )
        (wrong if doc.get("mismatch") else right).append(entry)
    listed = (wrong + right)[:limit]
    return Changes(
        against=against or {},
        newly_wrong=len(wrong),
        newly_right=len(right),
        documents=listed,
        more=len(wrong) + len(right) - len(listed),
    )


def compared_deployment(spec: NERSpec | ClassificationSpec) -> str | None:
    """The deployment whose model a candidate is compared with: the regression gates', else the first declared."""
    if spec.gates.regression is not None:
        return spec.gates.regression.against
    return spec.deployments[0].name if spec.deployments else None
