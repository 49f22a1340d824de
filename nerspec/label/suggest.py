"""``nerspec label suggest``: model pre-labels (drafts) for pool documents."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from nerspec.corpus.model import Document
from nerspec.errors import NerspecError
from nerspec.kinds import kind_of
from nerspec.label.drafts import draft_of

if TYPE_CHECKING:
    from nerspec.corpus.formats.labelstudio import Confidences
    from nerspec.manifest.load import LoadedProject
    from nerspec.monitor.pool import ProductionPool
    from nerspec.predict import Predictor


def suggest(
    project: LoadedProject, predictor: Predictor, *, pool: str | None = None, ids: Sequence[str] | None = None, cache_dir: Path | None = None,
    progress: Callable[[int, int], None] | None = None, production: ProductionPool | None = None,
) -> list[tuple[Document, Confidences]]:
    """Drafts (document with predicted spans or classes, confidence per span or class) for the pool,
    or only for ``ids`` of it, in pool order. Unknown ids are an error naming them. ``production``: a
    ``nerspec.monitor.pool.ProductionPool`` instead of a declared pool or file."""
    from nerspec.corpus.load import load_corpus
    from nerspec.corpus.pool import exclude_labeled, load_pool

    corpus = load_corpus(project, cache_dir)
    if production is not None:
        found = exclude_labeled(production.documents, corpus, [f"production:{production.deployment}"])
    else:
        found = load_pool(project, corpus, pool, cache_dir)
    documents = found.documents
    if ids is not None:
        by_id = {d.id: d for d in documents}
        missing = [i for i in ids if i not in by_id]
        if missing:
            shown = ", ".join(missing[:10]) + (" ..." if len(missing) > 10 else "")
            raise NerspecError(f"not in the pool (or already labeled): {shown}")
        documents = [by_id[i] for i in dict.fromkeys(ids)]
    spans = kind_of(project.kind).annotates_spans
    from nerspec.label.next import counted

    texts, languages = [d.text for d in documents], [d.language for d in documents]
    predictions = counted(predictor.pipe(texts, languages=languages), len(documents), progress)
    return [draft_of(doc, prediction, spans) for doc, prediction in zip(documents, predictions)]
