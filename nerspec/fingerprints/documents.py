"""Per-document hashes: plan's added / removed / relabeled counts, and the label renames they see through."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nerspec.corpus.model import Corpus, Span


def document_hash(
    text: str, spans: Iterable[Span], labels: Iterable[str], rename: dict[str, str] | None = None,
    language: str | None = None,
) -> str:
    names = rename or {}
    annotations = sorted((s.start, s.end, names.get(s.label, s.label)) for s in spans)
    classes = sorted(names.get(label, label) for label in labels)
    # A document's own language counts like a label (only when set: older hashes stay comparable).
    fields: list[object] = [text, annotations, classes, *([language] if language else [])]
    payload = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def document_hashes(corpus: Corpus, rename: dict[str, str] | None = None) -> dict[str, str]:
    """doc id -> sha256(text + labels): plan's added / removed / relabeled counts compare these.

    ``rename`` maps a label's current name to the name the compared-against hashes were made with (the inverse
    of the manifest's ``renamed_from``): a rename alone then changes no document, so only real edits count.
    """
    return {doc.id: document_hash(doc.text, doc.spans, doc.labels, rename, doc.language) for doc in corpus.documents}


def previous_names(label: Mapping[str, object]) -> list[str]:
    """A recorded label's ``renamed_from`` as a list (a string before merges existed, a list for a merge)."""
    value = label.get("renamed_from")
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, Iterable):
        raise TypeError(f"'{type(value).__name__}' object is not iterable")
    return [str(v) for v in value]


def rename_map(old_labels: Iterable[Mapping[str, object]], new_labels: Iterable[Mapping[str, object]]) -> dict[str, str]:
    """current name -> previous name for labels renamed (``renamed_from``) since the model trained on ``old_labels``.

    Only one-to-one renames: a merged type's instances came from several previous names, so they cannot be
    hashed back under one of them (documents carrying it count as relabeled when the data was edited too)."""
    old_names = {label["name"] for label in old_labels}
    out: dict[str, str] = {}
    for label in new_labels:
        sources = [n for n in previous_names(label) if n in old_names]
        if len(sources) == 1 and label["name"] not in old_names:
            out[str(label["name"])] = sources[0]
    return out


def text_hashes(corpus: Corpus) -> dict[str, str]:
    """doc id -> sha256(text): tells a relabeled document (same text) from a rewritten one."""
    return {doc.id: hashlib.sha256(doc.text.encode("utf-8")).hexdigest() for doc in corpus.documents}


def diff_documents(old: dict[str, str], new: dict[str, str]) -> dict[str, int]:
    """Counts of added, removed and changed documents between two ``document_hashes`` maps."""
    added = sum(1 for k in new if k not in old)
    removed = sum(1 for k in old if k not in new)
    relabeled = sum(1 for k, v in new.items() if k in old and old[k] != v)
    return {"added": added, "removed": removed, "relabeled": relabeled}
