"""The manifest ``kind`` of each project kind: the one place the names are spelled.

Kept apart from the kind modules so that ``nerspec.manifest.schema`` can import them without importing the kinds.
"""

from __future__ import annotations

NER_KIND = "NERProject"
CLASSIFICATION_KIND = "TextClassificationProject"
