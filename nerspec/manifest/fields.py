"""The limits and the name patterns every manifest field is checked against (used by ``manifest.schema``)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

# Reference limits (shared/reference/azure-custom-ner.md, "Limits").
NAME_PATTERN = r"^[A-Za-z0-9_.\-]{1,50}$"
# Control characters (a newline breaks every line-based report) and bidirectional overrides (U+202E makes a
# label read as another in a review) are refused too.
LABEL_PATTERN = r"^[^:$&%*()+~#/?\x00-\x1f\x7f\u200e\u200f\u202a-\u202e\u2066-\u2069]{1,50}$"
MAX_COUNT = 10_000_000  # steps, batch words, frequencies: anything above is a typo (`1e29`), not a plan
MAX_SEED = 2**32 - 1  # numpy's seed range
SHA256_PATTERN = r"^[0-9a-f]{64}$"
MAX_LABELS = 200

ResourceName = Annotated[str, Field(pattern=NAME_PATTERN, description="Letters, digits, `_ . -`; at most 50.")]


def _label_name(name: str) -> str:
    # NFC, so `Café` typed with a combining accent is the same label; blank and invisible names are refused.
    from nerspec.values import label_name

    return label_name(name, "name")


LabelName = Annotated[
    str, Field(
        pattern=LABEL_PATTERN,
        description="At most 50 characters, none of `: $ & % * ( ) + ~ # / ?`, no control or bidi-override characters.",
    ),
    AfterValidator(_label_name),
]

# The manifest's `format:` values (``nerspec.corpus.formats.FORMATS`` has a module for each).
DataFormat = Literal["azure", "jsonl", "conll", "spacy", "folders", "labelstudio", "doccano", "prodigy"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
