"""Project kinds: the one table of what differs between NER and text classification.

``kind_of(manifest.kind)`` returns the ``ProjectKind`` (``nerspec.kinds.base``) that owns the kind's label field,
nouns, per-label key, pipeline factories, scorer, checks, report pieces and serving shape. Adding a kind means one
module implementing the protocol, one entry below, and its manifest model in ``nerspec.manifest.schema``.
Nothing here imports spaCy (the CLI must start fast).
"""

from __future__ import annotations

from nerspec.errors import NerspecError
from nerspec.kinds.base import ProjectKind
from nerspec.kinds.ner import NERKind
from nerspec.kinds.textcat import TextClassificationKind
from nerspec.manifest.kind_names import CLASSIFICATION_KIND, NER_KIND

KINDS: dict[str, ProjectKind] = {
    NER_KIND: NERKind(),
    CLASSIFICATION_KIND: TextClassificationKind(),
}
SUPPORTED_KINDS: tuple[str, ...] = tuple(KINDS)


class UnknownKindError(NerspecError):
    """A project kind nerspec does not know (an artifact or a file from elsewhere; manifests are validated)."""


def kind_of(name: str) -> ProjectKind:
    try:
        return KINDS[name]
    except KeyError:
        raise UnknownKindError(f"unknown project kind {name!r}; known: {', '.join(KINDS)}") from None


def task_kinds() -> dict[str, str]:
    """Every served job task kind -> its result kind (the Azure Language ``/analyze-text/jobs`` API)."""
    return {task: result for kind in KINDS.values() for task, result in kind.task_kinds.items()}


def kind_of_task(task: str) -> ProjectKind | None:
    return next((kind for kind in KINDS.values() if task in kind.task_kinds), None)


__all__ = [
    "CLASSIFICATION_KIND",
    "KINDS",
    "NER_KIND",
    "SUPPORTED_KINDS",
    "ProjectKind",
    "UnknownKindError",
    "kind_of",
    "kind_of_task",
    "task_kinds",
]
