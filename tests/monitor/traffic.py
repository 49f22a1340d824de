"""Traffic for the monitoring tests and bench/monitor.py: drawn like the tiny NER training data, or from other
domains (log lines, German, other topics)."""

from __future__ import annotations

import random
from typing import Any

from tests.trained_models import TEMPLATES, ner_record

LOG_LINES = [
    "2026-12-06 12:{m:02d}:{s:02d} ERROR worker-{w} connection reset by peer (errno=104) retry={r}",
    "GET /api/v2/items/{w}{r} HTTP/1.1 503 {m}{s}ms upstream_timeout cache=miss",
    "kernel: [{m}{s}.{w}] usb {r}-1: device descriptor read/64, error -71",
    "WARN  scheduler job={w}{r} queue=default latency_ms={m}{s} backlog exceeded threshold",
]
GERMAN = [
    "Der Vorstand hat gestern die neue Strategie für das kommende Geschäftsjahr beschlossen.",
    "Wegen des Streiks fallen heute zahlreiche Verbindungen im Regionalverkehr aus.",
    "Die Stadtverwaltung prüft derzeit mehrere Vorschläge zur Sanierung der Brücke.",
    "Nach Angaben der Polizei blieb der Unfall auf der Autobahn ohne Verletzte.",
]
TOPICS = [
    "Quarterly revenue of the semiconductor division grew by {r} percent despite weaker demand for memory chips.",
    "The enzyme catalyses the hydrolysis of peptide bonds under mildly acidic conditions in vitro.",
    "Preheat the oven, whisk the eggs with sugar and fold in the sifted flour before baking for {m} minutes.",
    "Shareholders approved the merger after the regulator cleared the deal with minor divestitures.",
]


def in_distribution(n: int, seed: int = 7, prefix: str = "in", templates: list[str] = TEMPLATES) -> list[dict[str, Any]]:
    """Records with gold spans (``start``/``end``/``label``) drawn like the training data (other seeds)."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        record = ner_record(rng, i, templates)
        record["id"] = f"{prefix}{i:04d}"
        out.append(record)
    return out


def other_domain(n: int, seed: int = 11, prefix: str = "out") -> list[dict[str, Any]]:
    """Log lines, German news and other topics (a third each)."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        values = {"m": rng.randrange(60), "s": rng.randrange(60), "w": rng.randrange(1, 9), "r": rng.randrange(1, 40)}
        family = i % 3
        if family == 0:
            record = {"text": rng.choice(LOG_LINES).format(**values)}
        elif family == 1:
            record = {"text": rng.choice(GERMAN)}  # no language: a single-language model refuses "de"
        else:
            record = {"text": rng.choice(TOPICS).format(**values)}
        out.append({"id": f"{prefix}{i:04d}", **record, "spans": []})
    return out


def training_records(n: int, seed: int = 0) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [ner_record(rng, i, TEMPLATES) for i in range(n)]
