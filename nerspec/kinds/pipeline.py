"""spaCy pipeline pieces shared by the kinds: the tok2vec block, its listener, tokenization by language.

Changing a default config block here changes what `train` produces: bump ``nerspec.fingerprints.model.TRAINING_RECIPE``.
spaCy is imported lazily.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nerspec.kinds.base import ConfigBlock

if TYPE_CHECKING:
    from collections.abc import Sequence

    from spacy.language import Language
    from spacy.tokens import Doc, Span

    from nerspec.corpus.model import Document


def listener(width: int) -> ConfigBlock:
    return {"@architectures": "spacy.Tok2VecListener.v1", "width": width, "upstream": "*"}


def tok2vec_block(width: int, depth: int) -> ConfigBlock:
    # spaCy's CPU-efficient embedding: shared by NER's tok2vec component and the textcat's own small one.
    # Subword attributes (PREFIX, SUFFIX, SHAPE) let "cancel", "cancelled", "cancellation" share evidence.
    return {
        "@architectures": "spacy.Tok2Vec.v2",
        "embed": {
            "@architectures": "spacy.MultiHashEmbed.v2",
            "width": width,
            "attrs": ["NORM", "PREFIX", "SUFFIX", "SHAPE"],
            "rows": [5000, 1000, 2500, 2500],
            "include_static_vectors": False,
        },
        "encode": {
            "@architectures": "spacy.MaxoutWindowEncoder.v2",
            "width": width,
            "depth": depth,
            "window_size": 1,
            "maxout_pieces": 3,
        },
    }


def make_doc(nlp: Language, text: str, language: str | None) -> Doc:
    """``nlp.make_doc``, except that a multilingual (``xx``) pipeline tokenizes by the text's own language."""
    if nlp.lang != "xx":
        return nlp.make_doc(text)
    from nerspec.multilingual import maker_for

    return maker_for(nlp)(text, language)


def token_spans(doc: Doc, document: Document, labels: Sequence[str]) -> list[Span]:
    """``document``'s spans of the declared ``labels`` on ``doc`` (its tokens), in the document's order: what a
    reference teaches. An undeclared type is not trained, and "expand" widens a span that cuts a token so that it
    still teaches the token (the checks report both)."""
    known = set(labels)
    widened = (doc.char_span(s.start, s.end, label=s.label, alignment_mode="expand")
               for s in document.spans if s.label in known)
    return [span for span in widened if span is not None and len(span)]
