"""Project kinds: the one table of what differs between NER and text classification.

``kind_of(manifest.kind)`` returns the ``ProjectKind`` (``nerspec.kinds.base``) that owns the kind's label field,
nouns, per-label key, pipeline factories, scorer, checks, report pieces and serving shape. Adding a kind means one
module implementing the protocol, one entry below, and its manifest model in ``nerspec.manifest.schema``.
An NER project with ``spec.overlapping: true`` is an entry of its own (``nerspec.kinds.spans``, a span
categorizer): ``project_kind(project)`` and ``artifact_kind(meta)`` look it up from a manifest or a model.
Nothing here imports spaCy (the CLI must start fast).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nerspec.errors import NerspecError
from nerspec.kinds.base import ProjectKind
from nerspec.kinds.ner import NERKind
from nerspec.kinds.spans import SpanKind
from nerspec.kinds.textcat import TextClassificationKind
from nerspec.manifest.kind_names import CLASSIFICATION_KIND, NER_KIND, kind_key

if TYPE_CHECKING:
    from nerspec.manifest.load import LoadedProject
    from nerspec.model_meta import ModelMeta

# Keyed by ``kind_key(manifest kind, spec.overlapping)``: a manifest field may choose another kind of model.
KINDS: dict[str, ProjectKind] = {
    NER_KIND: NERKind(),
    kind_key(NER_KIND, overlapping=True): SpanKind(),
    CLASSIFICATION_KIND: TextClassificationKind(),
}
SUPPORTED_KINDS: tuple[str, ...] = tuple(dict.fromkeys(kind.name for kind in KINDS.values()))  # manifest kinds


class UnknownKindError(NerspecError):
    """A project kind nerspec does not know (an artifact or a file from elsewhere; manifests are validated)."""


def kind_of(name: str, overlapping: bool = False) -> ProjectKind:
    """The kind of a manifest ``kind`` (``overlapping``: its ``spec.overlapping``), or of a ``kind_key``."""
    try:
        return KINDS[kind_key(name, overlapping)]
    except KeyError:
        raise UnknownKindError(f"unknown project kind {name!r}; known: {', '.join(SUPPORTED_KINDS)}") from None


def project_kind(project: LoadedProject) -> ProjectKind:
    """A project's kind: its manifest ``kind``, and the model its spec chooses (``spec.overlapping``)."""
    return kind_of(project.kind, project.manifest.spec.overlapping)


def artifact_kind(meta: ModelMeta) -> ProjectKind:
    """The kind of a model artifact, from its ``meta.json`` (``kind``, and ``overlapping`` where set)."""
    return kind_of(str(meta.kind), meta.overlapping)


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
    "artifact_kind",
    "kind_key",
    "kind_of",
    "kind_of_task",
    "project_kind",
    "task_kinds",
]
