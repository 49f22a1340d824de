"""What the strict parsing of input costs: ``nerspec.strict_json.parse`` against the standard ``json.loads`` on
typical NER records, and a 20,000-document jsonl source read through ``nerspec.corpus.formats.jsonl.read``.

Reference: ``json.loads`` (what every reader used before issue 26). Prints the ratio (strict / reference).
Run: ``python bench/strict_json.py``.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path


def _record(i: int) -> str:
    text = f"Alice Smith met Bob Jones in Paris on day {i}. " * 4
    spans = [[0, 11, "PER"], [16, 25, "PER"], [29, 34, "LOC"]]
    return json.dumps({"id": f"d{i}", "text": text, "spans": spans, "dataset": "train"})


def _best(run: object, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    from nerspec.corpus.formats import jsonl
    from nerspec.strict_json import parse

    lines = [_record(i) for i in range(20_000)]
    # Interleaved, best of each: on a shared machine the load changes between two separate series.
    pairs = [(_best(lambda: [json.loads(line) for line in lines], 1), _best(lambda: [parse(line) for line in lines], 1))
             for _ in range(9)]
    reference, strict = min(p[0] for p in pairs), min(p[1] for p in pairs)
    print(f"parse 20,000 records: json.loads {reference * 1e3:.0f} ms, strict_json.parse {strict * 1e3:.0f} ms, "
          f"ratio {strict / reference:.2f}x")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "docs.jsonl"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        whole = _best(lambda: jsonl.read(path), repeat=3)
    print(f"jsonl.read of 20,000 documents (strict parse, checked spans and ids): {whole * 1e3:.0f} ms; "
          f"parsing is {strict / whole:.0%} of it")


if __name__ == "__main__":
    main()
