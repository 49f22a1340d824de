"""Benchmark: `nerspec validate` and `nerspec data stats` on a generated 100,000-document project.

Generates an azure-layout project (labels JSON + one .txt per document, some emoji so UTF-16
conversion is exercised, some spans next to punctuation so the token-boundary check has work) in a
temporary directory, runs both commands as subprocesses and prints wall seconds and peak memory.
Target: each under 10 s and 1 GiB on a 2-core machine.

    python bench/validate_large.py [--documents 100000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_SECONDS = 10.0
TARGET_BYTES = 1 << 30

PEOPLE = ["Alice Moreau", "Bjorn Halvorsen", "Chen Wei", "Dana O'Neill", "Émile Zola", "Fatima Al-Sayed", "Gustav Berg"]
COMPANIES = ["Acme Corp.", "Northwind Traders", "Globex Ltd", "Initech", "Umbrella Holdings", "Stark Industries"]
CITIES = ["Paris", "Berlin", "São Paulo", "Tokyo", "Lagos", "Toronto", "Mumbai", "Oslo"]
FILLER = [
    "The parties agree to the terms set out below.",
    "Payment is due within thirty days of the invoice date.",
    "This agreement is governed by the laws of the jurisdiction named above.",
    "Any notice must be given in writing 📄 and delivered by hand.",
    "The borrower shall repay the principal in equal monthly instalments.",
    "Interest accrues daily at the rate stated in schedule 2 ✅.",
]


def generate(root: Path, documents: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    data = root / "data"
    docs_dir = data / "docs"
    docs_dir.mkdir(parents=True)
    (root / "nerspec.yaml").write_text(
        "apiVersion: nerspec/v1\nkind: NERProject\n"
        "metadata: {name: bench, language: en}\n"
        "spec:\n  entities:\n    - {name: Person}\n    - {name: Company}\n    - {name: City}\n    - {name: Amount}\n"
        "  data:\n    - {name: labeled, format: azure, path: data/labels.json}\n"
        "  split: {policy: random, test_fraction: 0.2, seed: 13}\n",
        encoding="utf-8",
    )
    entries = []
    for n in range(documents):
        parts: list[str] = []
        labels = []
        position = 0  # UTF-16 code units

        def add(text: str, label: str | None = None) -> None:  # called in this iteration only
            nonlocal position
            length = len(text.encode("utf-16-le")) // 2
            if label:
                labels.append({"category": label, "offset": position, "length": length})  # noqa: B023
            parts.append(text)  # noqa: B023
            position += length

        add(rng.choice(FILLER) + " ")
        add(rng.choice(PEOPLE), "Person")
        add(" of ")
        add(rng.choice(COMPANIES), "Company")
        add(" in ")
        add(rng.choice(CITIES), "City")
        add(" borrows ")
        add(f"{rng.randint(1, 999)},{rng.randint(100, 999)} EUR", "Amount")
        add(". " + " ".join(rng.choice(FILLER) for _ in range(rng.randint(2, 6))))
        text = "".join(parts)
        name = f"doc{n:06d}.txt"
        (docs_dir / name).write_text(text, encoding="utf-8")
        entries.append(
            {
                "location": f"docs/{name}",
                "language": "en-us",
                "dataset": "Train" if rng.random() < 0.8 else "Test",
                "entities": [{"regionOffset": 0, "regionLength": position, "labels": labels}],
            }
        )
    labels_file = {
        "projectFileVersion": "2022-05-01",
        "stringIndexType": "Utf16CodeUnit",
        "metadata": {"projectKind": "CustomEntityRecognition", "projectName": "bench", "language": "en-us"},
        "assets": {
            "projectKind": "CustomEntityRecognition",
            "entities": [{"category": c} for c in ("Person", "Company", "City", "Amount")],
            "documents": entries,
        },
    }
    (data / "labels.json").write_text(json.dumps(labels_file), encoding="utf-8")


_MEASURE = (
    "import resource, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)\n"
    "print(r.returncode, time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    "sys.stderr.write(r.stderr[-2000:])\n"
)


def measure(args: list[str]) -> tuple[int, float, int]:
    """(exit code, seconds, peak RSS bytes) of one command, in a fresh parent so maxrss is its own."""
    out = subprocess.run([sys.executable, "-c", _MEASURE, *args], capture_output=True, text=True, check=True)
    code, seconds, maxrss_kib = out.stdout.split()
    if out.stderr.strip():
        print(out.stderr.strip()[-500:], file=sys.stderr)
    return int(code), float(seconds), int(maxrss_kib) * 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, default=None, help="Generate into this directory and keep it.")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="nerspec-bench-"))
    project = root / "bench"
    try:
        if not (project / "nerspec.yaml").exists():
            started = time.perf_counter()
            generate(project, args.documents)
            print(f"generated {args.documents} documents in {time.perf_counter() - started:.1f} s at {project}")
        nerspec = [sys.executable, "-m", "nerspec"]
        failed = False
        for name, command in (
            ("validate", [*nerspec, "validate", str(project)]),
            ("data stats", [*nerspec, "data", "stats", str(project), "--json"]),
        ):
            code, seconds, peak = measure(command)
            ok = code == 0 and seconds < TARGET_SECONDS and peak < TARGET_BYTES
            failed |= not ok
            print(
                f"nerspec {name:<10} exit {code}  {seconds:6.2f} s  peak {peak / (1 << 20):7.1f} MiB  "
                f"{'OK' if ok else 'OVER TARGET'} (target < {TARGET_SECONDS:.0f} s, < 1 GiB)"
            )
        return 1 if failed else 0
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
