"""Logged production texts as a labeling pool (``label next/suggest --pool DEPLOYMENT``).

``build_pool`` is pure: logged documents and the test split's reference in, pool documents and how unlike the
training data each one is out. A document is unlike when its share of unseen words is above most test documents',
its length is at an extreme of theirs, or its language is not among theirs (the drift signals, per document); the
ranking (``nerspec.label.next``) adds this to the model's uncertainty and the batch's diversity. Ids are the
requests' document ids, with ``@<time>`` appended where one id was logged more than once, so a labeled pick can
be traced back to the request; identical texts are proposed once (the latest).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from nerspec.corpus.model import Document
from nerspec.errors import NerspecError
from nerspec.monitor.reference import Reference, section
from nerspec.paths import StatePaths
from nerspec.state.monitoring import MonitoredDocument

if TYPE_CHECKING:
    from nerspec.manifest.load import LoadedProject

UNLIKE_REASON = 0.9  # a component at least this extreme is named in the pick's reasons


@dataclass(frozen=True)
class ProductionPool:
    deployment: str
    documents: list[Document]
    unlike: dict[str, tuple[float, str]] = field(default_factory=dict)  # id -> (0..1, reason or "")
    logged: int = 0


def _ecdf(sorted_values: list[float], x: float) -> float:
    """The share of reference values below ``x`` (ties count half)."""
    if not sorted_values:
        return 0.5
    below, upto = bisect_left(sorted_values, x), bisect_right(sorted_values, x)
    return (below + upto) / 2 / len(sorted_values)


def _unlike(doc: MonitoredDocument, lengths: list[float], shares: list[float], languages: set[str],
            language: str) -> tuple[float, str]:
    parts: list[tuple[float, str]] = []
    if shares and doc.unseen_tokens is not None and doc.tokens:
        share = doc.unseen_tokens / doc.tokens
        parts.append((_ecdf(shares, share), f"{share:.0%} of its words unseen in training"))
    if lengths:
        extreme = abs(_ecdf(lengths, float(doc.length)) - 0.5) * 2
        parts.append((extreme, f"length {doc.length} characters, unlike the test documents"))
    if languages:
        code = doc.language or language
        parts.append((0.0 if code in languages else 1.0, f"language {code}, not in the training data"))
    if not parts:
        return 0.0, ""
    score = max(p for p, _ in parts)
    named = [reason for p, reason in parts if p >= UNLIKE_REASON]
    return round(score, 4), ("unlike the training data: " + "; ".join(named)) if named else ""


def build_pool(deployment: str, logged: list[MonitoredDocument], reference: Mapping[str, object] | None,
               language: str) -> ProductionPool:
    from nerspec.corpus.pool import normalised
    from nerspec.languages import base
    from nerspec.monitor.analyze import iso_time

    ref = Reference.from_json(reference or {})
    lengths = sorted(ref.lengths)
    shares = sorted(ref.unseen_shares or [])
    languages = set(ref.languages)
    repeated = {i for i, n in Counter(d.doc_id for d in logged).items() if n > 1}
    latest: dict[str, MonitoredDocument] = {}
    for doc in logged:  # oldest first: the latest of identical texts wins
        if doc.text:
            latest[normalised(doc.text)] = doc
    documents, unlike = [], {}
    for doc in sorted(latest.values(), key=lambda d: (d.at, d.id)):
        doc_id = f"{doc.doc_id}@{iso_time(doc.at)}" if doc.doc_id in repeated else doc.doc_id
        assert doc.text is not None
        documents.append(Document(doc_id, doc.text, language=doc.language, source=f"production:{deployment}"))
        unlike[doc_id] = _unlike(doc, lengths, shares, languages, base(language))
    return ProductionPool(deployment, documents, unlike, len(logged))


def production_pool(project: LoadedProject, deployment: str, paths: StatePaths, *, last: int | None = None) -> ProductionPool:
    """The texts the deployment logged (``monitoring.store_texts``), newest ``last`` (default 10,000)."""
    from nerspec.deploy.targets import served_fingerprint
    from nerspec.monitor.run import DEFAULT_LAST, declared, recorded_evaluation
    from nerspec.state import open_store

    monitoring = declared(project, deployment)
    if not monitoring.store_texts:
        raise NerspecError(f"{project.name}: deployment {deployment!r} logs no texts (`monitoring.store_texts` is "
                           "false), so it cannot be a labeling pool; set `store_texts: true` and `nerspec apply`")
    store = open_store(paths, create=False)
    try:
        fingerprint = served_fingerprint(paths, store, project.name, deployment)
        evaluation = recorded_evaluation(store, fingerprint)
        logged = store.monitoring_documents(project.name, deployment, last=last or DEFAULT_LAST)
    finally:
        store.close()
    return build_pool(deployment, logged, section(evaluation, "reference"), project.manifest.metadata.language)


def is_deployment(project: LoadedProject, name: str | None) -> bool:
    """Whether ``--pool NAME`` names a deployment (and not a declared unlabeled source)."""
    if name is None or any(s.unlabeled and s.name == name for s in project.manifest.spec.data):
        return False
    return any(d.name == name for d in project.manifest.spec.deployments)
