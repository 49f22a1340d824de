"""The manifest ``kind`` of each project kind: the one place the names are spelled.

The manifest owns them (``nerspec.kinds`` builds its table on them), so nothing below the kinds imports the kinds.
"""

from __future__ import annotations

NER_KIND = "NERProject"
CLASSIFICATION_KIND = "TextClassificationProject"

# The kind table's key of an NER project with `spec.overlapping: true` (a span categorizer, ``nerspec.kinds.spans``);
# never a manifest `kind`: such a project, its artifacts and its evaluations are `NERProject`s.
OVERLAPPING_SUFFIX = "+overlapping"


def kind_key(kind: str, overlapping: bool = False) -> str:
    """The key of ``nerspec.kinds.KINDS`` for a manifest ``kind`` and its ``spec.overlapping``."""
    return f"{kind}{OVERLAPPING_SUFFIX}" if overlapping else kind
