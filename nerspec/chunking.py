"""Long NER documents are predicted in pieces, the same pieces on every path.

The server cuts a long document so that one caller's 124,000-character text cannot hold a worker for
seconds (``nerspec.serve.fair``). For what is served to equal what ``evaluate`` scored, ``predict``,
``evaluate`` and ``extract`` cut it the same way (``nerspec.predict.Predictor.analyze``): a piece of at most
``CHUNK_CHARS`` characters ends at a blank line, a line end, a sentence end or a space when one lies in its
second half. A piece at most ``CHUNK_CHARS`` long is never cut again, so cutting twice changes nothing.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator

CHUNK_CHARS = 2_000
_SEPARATORS = ("\n\n", "\n", ". ", " ")


def chunk_text(text: str, size: int = CHUNK_CHARS) -> list[tuple[int, str]]:
    """(offset, piece) covering ``text``; each piece at most ``size`` characters, cut at whitespace if any."""
    if len(text) <= size:
        return [(0, text)]
    pieces: list[tuple[int, str]] = []
    start = 0
    while start < len(text):
        end = min(start + size, len(text))
        if end < len(text):
            window = text[start:end]
            for separator in _SEPARATORS:
                cut = window.rfind(separator)
                if cut > size // 2:
                    end = start + cut + len(separator)
                    break
        pieces.append((start, text[start:end]))
        start = end
    return pieces


def cut_long_texts(
    pairs: Iterable[tuple[str, str | None]], pieces: deque[tuple[int, bool]]
) -> Iterator[tuple[str, str | None]]:
    """Each (text, language)'s pieces, recording (offset, is-last-piece) in ``pieces`` as they go out, so the
    consumer (``nerspec.predict.Predictor.analyze``) can put the predictions of one text back together in order."""
    for text, language in pairs:
        chunks = chunk_text(text)
        for index, (offset, piece) in enumerate(chunks):
            pieces.append((offset, index == len(chunks) - 1))
            yield piece, language
