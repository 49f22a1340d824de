"""Is a span edge on a token boundary of the project language's spaCy tokenizer? Fast for 100k documents.

spaCy's rule-based tokenizer first splits on whitespace and then tokenizes each whitespace-delimited
chunk on its own, so a boundary inside a chunk does not depend on the rest of the text. That gives
three cases per edge, cheapest first:

1. next to whitespace or the end of the text: always a boundary;
2. between two letters or two digits: never a boundary (spaCy splits no plain word; exceptions such
   as ``cannot`` -> ``can not`` are accepted as false warnings);
3. anything else (punctuation, letter/digit as in ``10km``): tokenize just that chunk with
   ``spacy.blank(lang).tokenizer``, cached per chunk, so spaCy is loaded only when such an edge exists.

Languages written without spaces (Chinese, Japanese, Thai, ...) are not checked: their tokenizers
segment words and a chunk can be a whole sentence. If spaCy has no tokenizer for the language (or
it needs an extra package), case 3 counts as a boundary.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.tokenizer import Tokenizer

UNSPACED_LANGUAGES = frozenset({"zh", "ja", "th", "lo", "km", "my", "bo", "dz"})


class BoundaryChecker:
    def __init__(self, language: str) -> None:
        self.language = language.split("-")[0].split("_")[0].lower()
        self._tokenizer: Tokenizer | None = None
        self._loaded = False
        self._cache: dict[str, frozenset[int]] = {}

    @property
    def enabled(self) -> bool:
        return self.language not in UNSPACED_LANGUAGES

    def is_boundary(self, text: str, offset: int) -> bool:
        if offset <= 0 or offset >= len(text):
            return True
        before, after = text[offset - 1], text[offset]
        if before.isspace() or after.isspace():
            return True
        if (before.isalpha() and after.isalpha()) or (before.isdigit() and after.isdigit()):
            return False
        chunk_start = offset - 1
        while chunk_start > 0 and not text[chunk_start - 1].isspace():
            chunk_start -= 1
        chunk_end = offset + 1
        while chunk_end < len(text) and not text[chunk_end].isspace():
            chunk_end += 1
        boundaries = self._boundaries(text[chunk_start:chunk_end])
        return boundaries is None or (offset - chunk_start) in boundaries

    def _boundaries(self, chunk: str) -> frozenset[int] | None:
        cached = self._cache.get(chunk)
        if cached is not None:
            return cached
        tokenizer = self._load()
        if tokenizer is None:
            return None
        result = frozenset(t.idx for t in tokenizer(chunk)) | {len(chunk)}
        if len(self._cache) < 200_000:
            self._cache[chunk] = result
        return result

    def _load(self) -> Tokenizer | None:
        if not self._loaded:
            self._loaded = True
            try:
                import spacy

                self._tokenizer = spacy.blank(self.language).tokenizer
            except Exception:  # unknown language, or one needing an extra package (e.g. Korean's mecab)
                self._tokenizer = None
        return self._tokenizer
