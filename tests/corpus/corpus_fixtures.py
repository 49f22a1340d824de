"""Writers of tiny projects (manifest + data) for the corpus tests; fixtures are in conftest.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from nerspec.corpus.offsets import Utf16Index

NERDoc = tuple[str, str, list[tuple[int, int, str]], str | None]  # id, text, spans (code points), dataset


def write_manifest(root: Path, body: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    path = root / "nerspec.yaml"
    path.write_text(body, encoding="utf-8")
    return path


def ner_manifest(
    name: str = "tiny",
    entities: tuple[str, ...] = ("Person", "City"),
    data: str = "{name: labeled, format: azure, path: data/labels.json}",
    split: str = "{policy: random, test_fraction: 0.3, seed: 1}",
    extra_entities: str = "",
) -> str:
    listed = "".join(f"    - {{name: {e}}}\n" for e in entities)
    return (
        "apiVersion: nerspec/v1\nkind: NERProject\n"
        f"metadata: {{name: {name}, language: en}}\n"
        f"spec:\n  entities:\n{listed}{extra_entities}"
        f"  data:\n    - {data}\n"
        f"  split: {split}\n"
    )


def write_azure(directory: Path, docs: list[NERDoc], *, spelling: str = "camel") -> Path:
    """Labels JSON with UTF-16 offsets plus .txt files; ``spelling="dash"`` uses the REST spec's names."""
    directory.mkdir(parents=True, exist_ok=True)
    entries = []
    for doc_id, text, spans, dataset in docs:
        (directory / doc_id).parent.mkdir(parents=True, exist_ok=True)
        (directory / doc_id).write_text(text, encoding="utf-8", newline="")
        index = Utf16Index(text)

        def unit(i: int) -> int:  # past the end stays past the end: tests of out-of-range spans
            return index.to_utf16(min(i, len(text))) + max(0, i - len(text))  # noqa: B023 (called within the same iteration)

        labels = [{"category": label, "offset": unit(s), "length": unit(e) - unit(s)} for s, e, label in spans]
        entry: dict[str, Any] = {
            "location": doc_id,
            "language": "en-us",
            "entities": [{"regionOffset": 0, "regionLength": index.length16, "labels": labels}],
        }
        if dataset:
            entry["dataset"] = dataset.capitalize()
        entries.append(entry)
    if spelling == "dash":
        payload: dict[str, Any] = {
            "project-file-version": "2022-05-01",
            "string-index-type": "Utf16CodeUnit",
            "assets": {"project-kind": "CustomEntityRecognition", "documents": [
                {"location": e["location"], "dataset": e.get("dataset"), "entities": [
                    {"region-offset": r["regionOffset"], "region-length": r["regionLength"], "labels": r["labels"]}
                    for r in e["entities"]]} for e in entries]},
        }
    else:
        payload = {
            "projectFileVersion": "2022-05-01",
            "stringIndexType": "Utf16CodeUnit",
            "assets": {"projectKind": "CustomEntityRecognition", "entities": [], "documents": entries},
        }
    path = directory / "labels.json"
    path.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    return path


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n", encoding="utf-8")
    return path


SAMPLE: list[NERDoc] = [
    ("a.txt", "Alice flew to Paris 😀 on Monday.", [(0, 5, "Person"), (14, 19, "City")], "train"),
    ("b.txt", "Bob 👩‍👩‍👧 met Chen in 北京.", [(0, 3, "Person"), (14, 18, "Person"), (22, 24, "City")], "test"),
    ("c.txt", "No entities here, just text.", [], "train"),
    ("d.txt", "Zoë visited Tromsø and 𝔸𝕓𝕔 City.", [(0, 3, "Person"), (12, 18, "City"), (23, 31, "City")], "train"),
]


