"""The project-kind seam as training and prediction see it: the kind (``nerspec.kinds``) or a TrainingError.

The pipeline blocks, reference docs and decoding live with each kind (``nerspec/kinds/ner.py``, ``textcat.py``);
the shared spaCy pieces in ``nerspec.kinds.pipeline``.
"""

from __future__ import annotations

from nerspec.errors import TrainingError
from nerspec.kinds import KINDS, ProjectKind
from nerspec.kinds.pipeline import listener, make_doc, tok2vec_block

KindImpl = ProjectKind  # the name training's config code uses for the kind


def kind_impl(kind: str) -> ProjectKind:
    try:
        return KINDS[kind]
    except KeyError:
        raise TrainingError(f"cannot train projects of kind `{kind}`; supported: {', '.join(KINDS)}") from None


__all__ = ["KindImpl", "kind_impl", "listener", "make_doc", "tok2vec_block"]
