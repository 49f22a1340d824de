"""The manifest ``kind`` of each project kind: the one place the names are spelled.

The manifest owns them (``nerspec.kinds`` builds its table on them), so nothing below the kinds imports the kinds.
"""

from __future__ import annotations

NER_KIND = "NERProject"
CLASSIFICATION_KIND = "TextClassificationProject"
