"""Long NER documents are predicted in pieces, the same pieces on every path.

The server cuts a long document so that one caller's 124,000-character text cannot hold a worker for
seconds (``nerspec.serve.fair``). For what is served to equal what ``evaluate`` scored, ``predict``,
``evaluate`` and ``extract`` cut it the same way (``nerspec.predict.Predictor.analyze``): a piece of at most
``CHUNK_CHARS`` characters ends at a blank line, a line end, a sentence end or a space when one lies in its
second half. A piece at most ``CHUNK_CHARS`` long is never cut again, so cutting twice changes nothing.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.tokens import Doc
    from spacy.vocab import Vocab

CHUNK_CHARS = 2_000
_SEPARATORS = ("\n\n", "\n", ". ", " ")
LONG_RUN = 1_000  # characters without whitespace: no word is this long
RUN_PIECE = 100
_RUN = re.compile(rf"\S{{{LONG_RUN},}}")


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


def run_pieces(text: str) -> list[str] | None:
    """``text`` in pieces (joined, ``text``) that cut every run of ``LONG_RUN`` or more characters without whitespace
    every ``RUN_PIECE`` characters; None when there is no such run. spaCy's tokenizer strips a run's prefixes and
    suffixes one at a time, in time quadratic in the run: a classifier's 125,000 '(' held a worker for an hour.
    A run's last piece takes the character after it (whitespace), so every other token is what it was."""
    if len(text) < LONG_RUN or not _RUN.search(text):
        return None
    pieces, done = [], 0
    for run in _RUN.finditer(text):
        if run.start() > done:
            pieces.append(text[done:run.start()])
        end = min(run.end() + 1, len(text))
        pieces += [text[i:min(i + RUN_PIECE, run.end())] for i in range(run.start(), run.end(), RUN_PIECE)]
        pieces[-1] += text[run.end():end]
        done = end
    if done < len(text):
        pieces.append(text[done:])
    return pieces


def tokenize_bounded(vocab: Vocab, tokenizer: Callable[[str], Doc], text: str) -> Doc | None:
    """The ``Doc`` of ``text`` tokenized piece by piece (``run_pieces``), or None when it has no long run (then
    the tokenizer takes it whole, as ever)."""
    pieces = run_pieces(text)
    if pieces is None:
        return None
    from spacy.tokens import Doc

    words: list[str] = []
    spaces: list[bool] = []
    for piece in pieces:
        for token in tokenizer(piece):
            words.append(token.text)
            spaces.append(bool(token.whitespace_))
    return Doc(vocab, words=words, spaces=spaces)
