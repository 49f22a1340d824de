"""spaCy's binary ``.spacy`` files (``DocBin``): entities from ``doc.ents``, classes from ``doc.cats``.

spaCy is imported only when such a source is read.
"""

from __future__ import annotations

from pathlib import Path

from nerspec.corpus.formats.common import ProjectInfo, fail, read_bytes, record_id, shown
from nerspec.corpus.model import Document, Span


def referenced_files(path: Path) -> list[Path]:
    return [path]


MAX_INFLATE_RATIO = 100  # serialized docs compress about 5-10x; far beyond that is a bomb
MIN_INFLATE_BUDGET = 256 * 1024**2


def _inflated_size(data: bytes) -> int | None:
    """What ``zlib.decompress`` would produce, counted in bounded steps (None: not zlib, spaCy names it)."""
    import zlib

    budget = max(MIN_INFLATE_BUDGET, MAX_INFLATE_RATIO * len(data))
    inflater = zlib.decompressobj()
    total = 0
    try:
        chunk = inflater.decompress(data, 1 << 20)
        while chunk:
            total += len(chunk)
            if total > budget:
                return total
            chunk = inflater.decompress(inflater.unconsumed_tail, 1 << 20)
    except zlib.error:
        return None
    return total


def read(path: Path, project_dir: Path | None = None) -> list[Document]:
    from spacy.tokens import DocBin
    from spacy.vocab import Vocab

    data = read_bytes(path)
    inflated = _inflated_size(data)
    if inflated is not None and inflated > max(MIN_INFLATE_BUDGET, MAX_INFLATE_RATIO * len(data)):
        raise fail(path, f"inflates to more than {inflated} bytes ({inflated // max(len(data), 1)}x its size): "
                         "refused as a possible zlib bomb")
    try:
        docbin = DocBin(store_user_data=True).from_bytes(data)
        docs = list(docbin.get_docs(Vocab()))
    except Exception as exc:  # spaCy raises ValueError/KeyError/zlib/msgpack errors for corrupt files
        raise fail(path, f"not a spaCy DocBin file: {exc}") from None
    where = shown(path)
    out: list[Document] = []
    for n, doc in enumerate(docs, start=1):
        user = doc.user_data if isinstance(doc.user_data, dict) else {}
        dataset = user.get("dataset")
        try:
            doc_id = record_id(user.get("id"), f"{path.name}#{n}")
        except ValueError as exc:
            raise fail(path, str(exc), where=f"doc {n}") from None
        out.append(
            Document(
                id=doc_id,
                text=doc.text,
                spans=[Span(e.start_char, e.end_char, e.label_) for e in doc.ents],
                labels=[c for c, score in doc.cats.items() if score >= 0.5],
                dataset=dataset if dataset in ("train", "test") else None,
                location=where,
            )
        )
    return out


def write(documents: list[Document], out_dir: Path, info: ProjectInfo, name: str = "data.spacy") -> Path:
    import spacy
    from spacy.tokens import DocBin

    from nerspec.atomic import write_bytes

    nlp = spacy.blank(info.language.split("-")[0])
    docbin = DocBin(store_user_data=True)
    for document in documents:
        doc = nlp.make_doc(document.text)
        if info.annotates_spans:
            ents = [doc.char_span(s.start, s.end, s.label, alignment_mode="expand") for s in document.spans]
            try:
                doc.ents = [e for e in ents if e is not None and len(e)]
            except ValueError:  # spaCy's entities cannot overlap (``export`` refuses overlapping spans before)
                raise fail(out_dir / name, f"document `{document.id}` has overlapping spans (once widened to whole "
                           "tokens), which a DocBin cannot hold; export as jsonl or labelstudio instead") from None
        else:
            doc.cats = {c: float(c in document.labels) for c in info.labels}
        doc.user_data["id"] = document.id
        if document.dataset:
            doc.user_data["dataset"] = document.dataset
        docbin.add(doc)
    target = out_dir / name
    write_bytes(target, docbin.to_bytes())
    return target
