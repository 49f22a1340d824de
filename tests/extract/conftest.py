"""Fixtures for extraction tests: the tiny trained models of the prediction tests, and one shared Ray instance."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.trained_models import held_out, ner_model, textcat_model  # noqa: F401 - fixtures re-used here

SPECIAL = [
    "Grace Smith 😀 flew to Paris on Monday.",
    "Ines Novak visited Oslo 👍🏽 with Farid Khan.",
    "Café owner Hugo Martin lives in Berlin.",
]


def write_input(path: Path, n: int = 40, bad: bool = True) -> list[dict[str, Any]]:
    """A jsonl input: held-out texts, non-ASCII texts, and (``bad``) one record of every kind of problem."""
    records = [{"id": r["id"], "text": r["text"]} for r in held_out(n)]
    records += [{"id": f"s{i}", "text": t} for i, t in enumerate(SPECIAL)]
    # A language the model was not trained for: predict (and so extract) adds the API's warning to the record.
    records.append({"id": "lang-de", "text": "Jonas Novak wohnt in Berlin.", "language": "de"})
    lines = [json.dumps(r, ensure_ascii=False).encode("utf-8") + b"\n" for r in records]
    if bad:
        lines[3:3] = [b'{"id": "no-text"}\n', b"\n", b'{"id": "bad-json", "text": \n',
                      b'{"id": "bad-utf8", "text": "caf\xe9"}\n', b'{"id": "huge", "text": "' + b"x " * 400 + b'"}\n']
    path.write_bytes(b"".join(lines))
    return records


@pytest.fixture(scope="session")
def ray_instance() -> Iterator[Any]:
    """One local Ray for the session (start-up takes seconds): 2 CPUs, no dashboard, on 127.0.0.1."""
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, _node_ip_address="127.0.0.1")
    try:
        yield ray
    finally:
        ray.shutdown()
