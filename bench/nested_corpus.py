"""A generated corpus of nested entities (issue 28): organisations whose names contain places.

"The Bank of England cut rates in Leeds." holds ``Bank of England`` ORG, ``England`` LOC inside it, and
``Leeds`` LOC on its own. Every organisation is built from one of ``ORG_PATTERNS`` around a place of ``PLACES``
(``Bank of {}``, ``{} City Council``...) or is one of ``PLAIN_ORGS`` (no place inside); sentences come from
``TEMPLATES`` with people, places and organisations filled in, so the same place appears inside organisations
and on its own, and the same pattern around many places. Deterministic for a seed; records are nerspec jsonl
(``{"id", "text", "spans": [{"start", "end", "label"}], "dataset"}``), code-point offsets.

    python bench/nested_corpus.py [--docs 1200] [--seed 0] [--test-fraction 0.25] > nested.jsonl
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from typing import Any

PLACES = [
    "England", "Scotland", "Wales", "Ireland", "France", "Spain", "Italy", "Canada", "Japan", "Brazil", "Kenya",
    "Norway", "Chile", "India", "Egypt", "Peru", "Leeds", "York", "Bristol", "Glasgow", "Dublin", "Paris", "Lyon",
    "Madrid", "Rome", "Milan", "Toronto", "Osaka", "Lagos", "Nairobi", "Oslo", "Lima", "Delhi", "Cairo", "Boston",
    "Denver", "Austin", "Seattle", "Chicago", "Houston", "New York", "Hong Kong", "Cape Town", "Buenos Aires",
    "San Diego", "Tel Aviv", "Rio de Janeiro", "Kuala Lumpur", "Sao Paulo", "Abu Dhabi",
]
ORG_PATTERNS = [
    "Bank of {}", "University of {}", "{} City Council", "{} Football Club", "Port of {} Authority",
    "{} Chamber of Commerce", "Royal {} Hospital", "{} Police Department", "National Museum of {}",
    "{} Airport", "{} Symphony Orchestra", "{} Stock Exchange", "{} Water Company", "Museum of {} History",
    "{} Institute of Technology", "{} Public Library",
]
PLAIN_ORGS = [
    "Acme Corp", "Globex", "Initech", "Umbrella Group", "Stark Industries", "Wayne Enterprises", "Hooli",
    "Vandelay Industries", "Red Cross", "Oxfam", "Siemens", "Unilever", "Nestle", "Reuters",
]
PEOPLE = [
    "Alice Moreau", "Ben Okafor", "Chen Wei", "Dana Kowalski", "Elif Yilmaz", "Farid Haddad", "Grace Lee",
    "Hugo Silva", "Ines Duarte", "Jonas Berg", "Kofi Mensah", "Lena Fischer", "Mateo Rossi", "Nadia Petrova",
    "Omar Aziz", "Priya Nair", "Sofia Costa", "Tomas Novak", "Yuki Tanaka", "Zara Ahmed",
]
# {org}, {place}, {person}; a template may use {org} twice ({org2}).
TEMPLATES = [
    "The {org} cut interest rates on Tuesday.",
    "{person} joined the {org} last spring.",
    "A spokesperson for the {org} said the plan would go ahead in {place}.",
    "The {org} opened a new office in {place}.",
    "Officials from the {org} met the {org2} to discuss funding.",
    "{person} flew to {place} to visit the {org}.",
    "Shares fell after the {org} warned about costs in {place}.",
    "The {org} and the {org2} signed an agreement.",
    "In {place}, the {org} announced {number} new jobs.",
    "{person}, who works for the {org}, spoke at a conference in {place}.",
    "According to the {org}, visitor numbers in {place} doubled.",
    "The report by the {org} criticised the {org2}.",
    "{person} left {place} in {year} and never returned.",
    "Fans of the {org} gathered outside the stadium.",
    "The {org} said its budget for {year} would rise.",
    "Protesters marched from {place} to the offices of the {org}.",
]


def _organisation(rng: random.Random) -> tuple[str, int | None, str | None]:
    """(name, offset of the place inside it or None, the place or None)."""
    if rng.random() < 0.25:
        return rng.choice(PLAIN_ORGS), None, None
    pattern, place = rng.choice(ORG_PATTERNS), rng.choice(PLACES)
    return pattern.format(place), pattern.index("{}"), place


def _sentence(rng: random.Random) -> tuple[str, list[tuple[int, int, str]]]:
    template = rng.choice(TEMPLATES)
    text, spans = "", []
    for piece in re.split(r"(\{\w+\})", template):
        start = len(text)
        if piece in ("{org}", "{org2}"):
            name, inner, place = _organisation(rng)
            text += name
            spans.append((start, start + len(name), "ORG"))
            if inner is not None and place is not None:
                spans.append((start + inner, start + inner + len(place), "LOC"))
        elif piece == "{place}":
            place = rng.choice(PLACES)
            text += place
            spans.append((start, start + len(place), "LOC"))
        elif piece == "{person}":
            person = rng.choice(PEOPLE)
            text += person
            spans.append((start, start + len(person), "PER"))
        elif piece == "{number}":
            text += str(rng.randint(2, 900))
        elif piece == "{year}":
            text += str(rng.randint(1990, 2030))
        else:
            text += piece
    return text[:1].upper() + text[1:], spans


def generate(docs: int = 1200, seed: int = 0, test_fraction: float = 0.25) -> list[dict[str, Any]]:
    """``docs`` records of one or two sentences; the last ``test_fraction`` of them are ``dataset: test``."""
    rng = random.Random(seed)
    records = []
    cut = round(docs * (1 - test_fraction))
    for i in range(docs):
        text, spans = "", []
        for _ in range(rng.choice((1, 1, 2))):
            sentence, found = _sentence(rng)
            base = len(text) + (1 if text else 0)
            text = f"{text} {sentence}" if text else sentence
            spans += [(s + base, e + base, label) for s, e, label in found]
        records.append({"id": f"nested-{i:05d}", "text": text, "dataset": "train" if i < cut else "test",
                        "spans": [{"start": s, "end": e, "label": label} for s, e, label in sorted(spans)]})
    return records


def nested_share(records: list[dict[str, Any]]) -> float:
    """The share of spans inside another span of the same document: what a flat NER model cannot produce."""
    inner = total = 0
    for record in records:
        spans = [(s["start"], s["end"]) for s in record["spans"]]
        total += len(spans)
        inner += sum(any(o != (a, b) and o[0] <= a and b <= o[1] for o in spans) for a, b in spans)
    return inner / total if total else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=1200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--test-fraction", type=float, default=0.25)
    args = parser.parse_args()
    records = generate(args.docs, args.seed, args.test_fraction)
    sys.stdout.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    print(f"{len(records)} documents, {sum(len(r['spans']) for r in records)} spans, "
          f"{nested_share(records):.1%} nested inside another", file=sys.stderr)


if __name__ == "__main__":
    main()
