"""Language codes: one spelling everywhere (manifest, documents, requests, evaluation keys).

Codes are BCP 47-ish as the reference product writes them (``en``, ``en-us``, ``zh-hans``); they are compared
lower-cased with ``-`` separators. ``base("en-us") == "en"`` picks spaCy's tokenizer, and a project covers a
request's language when the base languages match (a project declaring ``en`` covers ``en-gb``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_CODE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})*$")


def is_valid(code: str) -> bool:
    """A BCP 47-shaped code: a 2-3 letter language, optional subtags (``en``, ``en-us``, ``zh-hans``)."""
    return bool(_CODE.match(normalize(code)))


def normalize(code: str) -> str:
    return code.strip().replace("_", "-").lower()


def base(code: str) -> str:
    return normalize(code).split("-", 1)[0]


def project_languages(metadata_language: str, document_languages: Iterable[str | None] = ()) -> list[str]:
    """``metadata.language`` first, then every document's own language, normalised and without duplicates."""
    out = [normalize(metadata_language)]
    for code in sorted({normalize(c) for c in document_languages if c}):
        if code not in out:
            out.append(code)
    return out


def covers(languages: Iterable[str], code: str) -> bool:
    """Whether a project of ``languages`` covers ``code`` (same base language)."""
    wanted = base(code)
    return any(base(c) == wanted for c in languages)
