"""Benchmark: what a shadow rollout costs production's latency (issue 29).

The same open-loop load (``--rate`` requests per second, ``--batch`` documents each, for ``--seconds``) is sent to
``nerspec serve`` twice: once serving production alone (the reference), once with a second model staged as a
shadow candidate, which the server runs on every request's documents off the request path and whose
observations it writes to the SQLite state in batches. Reported: p50 and p99 latency of both runs and their
ratio (target: p99 with a shadow at most 1.2x without), and the shadow's own figures (observations written,
shadows dropped because the queue was full).

The models come from bench/serve_throughput.py (a small spaCy NER pipeline with nerspec's default architecture),
the candidate trained with another seed.

Usage: python bench/serve_shadow.py [--rate 20] [--batch 4] [--seconds 20] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from serve_throughput import build_artifact, document, percentile, start_server  # noqa: E402

ANALYZE = "/projects/bench/deployments/production:analyze"
REFUSED = [0]  # requests answered 429/503 (over the server's per-client or global limit)


def record_models(state: Path, production: str, candidate: str) -> None:
    """The state records both models with their file hashes (the server verifies a candidate before loading it)."""
    from nerspec.paths import StatePaths
    from nerspec.safeio import sha256_file
    from nerspec.state import open_store
    from nerspec.state.store import DeploymentRecord, ModelRecord, utc_now

    paths = StatePaths(state)
    store = open_store(paths, fresh_ok=True)
    for fp in (production, candidate):
        store.record_model(ModelRecord("bench", fp, "2026-01-01T00:00:00+00:00", "d", str(paths.models / fp),
                                       artifact_files=hashes(paths.models / fp, sha256_file)))
    # As apply leaves it: the state records what the pointer serves.
    store.set_deployment(DeploymentRecord("bench", "production", production, {"type": "local"}, utc_now()),
                         action="deploy", actor="bench", reason="bench")
    store.close()


def hashes(artifact: Path, sha256: Any) -> dict[str, str]:
    return {str(f.relative_to(artifact)): sha256(f) for f in sorted(artifact.rglob("*")) if f.is_file()}


def stage_shadow(state: Path, production: str, candidate: str) -> str:
    from nerspec.paths import StatePaths
    from nerspec.state import open_store
    from nerspec.state.store import RolloutRecord, utc_now

    store = open_store(StatePaths(state), fresh_ok=True)
    rollout = RolloutRecord(uuid.uuid4().hex, "bench", "production", candidate, production, "shadow", None, utc_now())
    store.rollout_start(rollout, actor="bench", reason="shadow")
    store.close()
    return rollout.id


def observed(state: Path, rollout_id: str) -> int:
    from nerspec.paths import StatePaths
    from nerspec.state import open_store

    store = open_store(StatePaths(state))
    try:
        return len(store.rollout_observations(rollout_id))
    finally:
        store.close()


def load(url: str, batches: list[list[dict[str, str]]], rate: float, seconds: float) -> list[float]:
    """Open loop: a request every 1/rate seconds whatever the answers' latency; returns each request's latency."""
    import httpx

    latencies: list[float] = []
    lock = threading.Lock()
    local = threading.local()
    refused = REFUSED

    def call(batch: list[dict[str, str]]) -> None:
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = httpx.Client(timeout=60)
        started = time.perf_counter()
        response = client.post(url + ANALYZE, json={"documents": batch})
        elapsed = time.perf_counter() - started
        if response.status_code in (429, 503):  # the server's own limits: counted as refused, not timed
            refused[0] += 1
            return
        response.raise_for_status()
        with lock:
            latencies.append(elapsed)

    total = int(rate * seconds)
    with ThreadPoolExecutor(max_workers=32) as pool:
        start = time.perf_counter()
        futures = []
        for i in range(total):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            futures.append(pool.submit(call, batches[i % len(batches)]))
        for future in futures:
            future.result()
    return latencies


def run(state: Path, workers: int, batches: list[list[dict[str, str]]], rate: float, seconds: float) -> tuple[list[float], str]:
    import httpx

    process, url = start_server(state, workers, None)
    try:
        load(url, batches[:20], rate, 2.0)  # warm-up: connections, first inferences
        REFUSED[0] = 0
        latencies = load(url, batches, rate, seconds)
        print(f"  {len(latencies)} answered, {REFUSED[0]} refused (429/503)", file=sys.stderr)
        metrics = httpx.get(url + "/metrics").text
    finally:
        process.terminate()
        process.wait(timeout=30)
    return latencies, metrics


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=10.0, help="requests per second")
    parser.add_argument("--batch", type=int, default=4, help="documents per request")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    rng = random.Random(7)
    docs = [{"id": str(i), "text": document(rng)[0], "language": "en"} for i in range(2000)]
    batches = [docs[i:i + args.batch] for i in range(0, len(docs), args.batch)]
    with tempfile.TemporaryDirectory(prefix="nerspec-bench-") as tmp:
        state = Path(tmp)
        production = build_artifact(state, 0)
        candidate_dir = Path(tmp) / "candidate"
        candidate = build_artifact(candidate_dir, 1)
        candidate_fp = "shadow" + "1" * 14
        (candidate_dir / "models" / candidate).rename(state / "models" / candidate_fp)
        meta = state / "models" / candidate_fp / "meta.json"
        meta.write_text(meta.read_text().replace(candidate, candidate_fp))
        record_models(state, production, candidate_fp)

        alone, _ = run(state, args.workers, batches, args.rate, args.seconds)
        rollout_id = stage_shadow(state, production, candidate_fp)
        shadowed, metrics = run(state, args.workers, batches, args.rate, args.seconds)
        written = observed(state, rollout_id)

    dropped = next((line.split()[-1] for line in metrics.splitlines()
                    if line.startswith("nerspec_rollout_shadows_dropped_total")), "?")
    p50a, p99a = statistics.median(alone) * 1000, percentile(alone, 0.99) * 1000
    p50s, p99s = statistics.median(shadowed) * 1000, percentile(shadowed, 0.99) * 1000
    print(f"load: {args.rate:g} requests/s x {args.batch} documents for {args.seconds:g} s (open loop), "
          f"server --workers {args.workers}, cpus {os.cpu_count()}")
    print(f"production alone (reference): p50 {p50a:7.1f} ms   p99 {p99a:7.1f} ms   ({len(alone)} requests)")
    print(f"with a shadow candidate     : p50 {p50s:7.1f} ms   p99 {p99s:7.1f} ms   ({len(shadowed)} requests)")
    print(f"ratio                       : p50 {p50s / p50a:.2f}x   p99 {p99s / p99a:.2f}x   (target: p99 <= 1.2x)")
    print(f"shadow: {written} observations written, {dropped} requests' shadows dropped (production busy or queue full)")


if __name__ == "__main__":
    main()
