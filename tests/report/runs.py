"""Run-result fixtures for the report tests: hand-written JSON files following docs/architecture.md."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

FIXTURES: Path = Path(__file__).parent / "fixtures"


def load_fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def many_types_run(n: int = 400) -> dict[str, Any]:
    """An NER run with `n` entity types (deterministic numbers): enough to overflow a GitHub comment."""
    run = load_fixture("ner_baseline")
    project = run["projects"][0]
    labels = [f"ENTITY_TYPE_{i:03d}" for i in range(n)]
    ev, base = project["evaluation"], project["baseline"]["evaluation"]
    for evaluation, shift in ((ev, 0), (base, 7)):
        per = {}
        for i, label in enumerate(labels):
            f1 = round(0.35 + ((i * 37 + shift) % 60) / 100, 4)
            per[label] = {"precision": f1, "recall": f1, "f1": f1, "tp": 10 + i % 9, "fp": i % 4, "fn": i % 5,
                          "support": 10 + i % 9 + i % 5}
        evaluation["per_entity"] = per
        size = n + 1
        matrix = [[(3 + (i * j + shift) % 5) if i == j else ((i + j + shift) % 11 == 0) * 1 for j in range(size)]
                  for i in range(size)]
        matrix[n][n] = 0
        evaluation["confusion_matrix"] = {"labels": labels + ["$none"], "matrix": matrix}
        evaluation["ci"]["per_label_f1"] = {label: [round(per[label]["f1"] - 0.05, 4), round(per[label]["f1"] + 0.05, 4)]
                                            for label in labels}
        evaluation["data"]["train"]["labels"] = {
            label: {"instances": 5 + (i * 13) % 400, "documents": 3 + (i * 7) % 200} for i, label in enumerate(labels)}
        evaluation["data"]["test"]["labels"] = {
            label: {"instances": 1 + (i * 5) % 90, "documents": 1 + (i * 3) % 60} for i, label in enumerate(labels)}
    project["model"]["labels"] = labels
    docs = []
    for i in range(60):
        text = f"Document {i} mentions Alpha Corp and Beta Ltd near Gamma Street in some detail for testing."
        alpha, beta = text.index("Alpha Corp"), text.index("Beta Ltd")
        docs.append({"id": f"doc-{i:03d}", "text": text,
                     "gold": [{"start": alpha, "end": alpha + 10, "label": labels[i % n]}],
                     "predicted": [{"start": alpha, "end": alpha + 10, "label": labels[(i + 1) % n]},
                                   {"start": beta, "end": beta + 8, "label": labels[(i + 2) % n]}],
                     "mismatch": True})
    ev["documents"] = docs
    ev["guidance"] = [{"code": "few-examples", "severity": "warning",
                       "message": f"{label} has few training instances", "labels": [label]} for label in labels[:40]]
    value = ev["per_entity"][labels[3]]["f1"]
    project["gates"]["results"].append({"name": f"per_entity.{labels[3]}.f1", "metric": "f1", "label": labels[3],
                                        "threshold": 0.9, "value": value, "baseline": None, "passed": False,
                                        "message": f"per_entity.{labels[3]}.f1 [{labels[3]}] = {value:.3f} < min 0.900"})
    project["gates"]["passed"] = False
    project["deploy"] = {"will_deploy": False, "deployed": [], "skipped_reason": "1 gate failed"}
    return copy.deepcopy(run)
