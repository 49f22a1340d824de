"""Benchmark: production monitoring (issue 30).

1. **False alarms.** A tiny NER project (generated person/city sentences, ``tests/monitor/traffic.py``) is trained
   and evaluated for real with ``nerspec apply`` into a temporary SQLite state. Then 20 windows of in-distribution
   traffic (fresh seeds, drawn like the training data) are predicted with the deployed model, turned into the rows
   the server logs (``nerspec.serve.monitoring.document_row``) and analysed by ``nerspec.monitor.analyze``: the
   share of windows that ``drifted`` is the false-alarm rate. The same for 20 windows from other domains (log
   lines, German, other topics) and 20 windows where a quarter of the traffic is from them: the detection rates.
   For the in-distribution windows it also prints the label-free precision estimate against the precision
   measured with the known labels.
2. **Logging cost.** ``nerspec serve`` (a separate process, ``bench/serve_throughput.py``'s model and clients)
   on the same documents with the deployment unmonitored and monitored with ``store_texts: true, sample: 1``
   (every document logged to SQLite), alternating, ``--rounds`` times each: documents per second, and the ratio
   monitored / unmonitored (target: at least 0.95). Wall-clock throughput on a shared machine is noisy, so it
   also measures the CPU time per document of the logging work against the model's inference (one thread each).

Usage: python bench/monitor.py [--windows 20] [--window 200] [--docs 2000] [--clients 8] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _windows(predictor: Any, fingerprint: str, records: list[dict[str, Any]], vocabulary: Any) -> list[Any]:
    from nerspec.serve.monitoring import Observed, document_row

    outputs = list(predictor.pipe([r["text"] for r in records], batch_size=64))
    now = time.time()
    return [document_row(Observed("people", "production", fingerprint, Path("."), now + i * 0.01, r["id"], r["text"],
                                  "en", out, False, 30), vocabulary) for i, (r, out) in enumerate(zip(records, outputs))]


def _measured(records: list[dict[str, Any]], rows: list[Any]) -> float | None:
    gold = {(r["id"], s["start"], s["end"], s["label"]) for r in records for s in r["spans"]}
    predicted = [(row.doc_id, p.start, p.end, p.label) for row in rows for p in row.predictions]
    return sum(p in gold for p in predicted) / len(predicted) if predicted else None


def false_alarms(n_windows: int, size: int) -> None:
    from nerspec.apply import apply
    from nerspec.artifacts.layout import read_vocabulary
    from nerspec.manifest.load import load_project
    from nerspec.monitor.analyze import Inputs, analyze
    from nerspec.monitor.run import recorded_evaluation, served_fingerprint
    from nerspec.paths import StatePaths
    from nerspec.predict import load
    from nerspec.state import open_store
    from tests.monitor.test_run_e2e import write_project
    from tests.monitor.traffic import in_distribution, other_domain

    base = Path(tempfile.mkdtemp(prefix="nerspec-bench-monitor-"))
    root = write_project(base / "people", {"store_texts": False})
    paths = StatePaths(base / "state")
    project = load_project(root)
    started = time.perf_counter()
    apply([project], paths)
    print(f"trained and evaluated the tiny project in {time.perf_counter() - started:.1f} s")
    store = open_store(paths)
    fingerprint = served_fingerprint(store, paths, "people", "production")
    evaluation = recorded_evaluation(store, fingerprint)
    store.close()
    predictor = load(paths.models / fingerprint)
    vocabulary = read_vocabulary(paths.models / fingerprint)
    reference = (evaluation or {}).get("reference") or {}
    print(f"reference: {reference.get('documents')} test documents, calibration "
          f"{(evaluation or {}).get('calibration', {}).get('method')}; {n_windows} windows of {size} documents")

    def run(name: str, make: Any) -> None:
        drifted, errors, signals = 0, [], {}
        for k in range(n_windows):
            records = make(k)
            rows = _windows(predictor, fingerprint, records, vocabulary)
            result = analyze(Inputs("people", "production", fingerprint, "en", "per_entity", rows, evaluation, None))
            assert result.drift is not None
            drifted += result.drift.drifted
            for s in result.drift.signals:
                signals[s.name] = signals.get(s.name, 0) + s.drifted
            measured = _measured(records, rows)
            if result.estimated.precision is not None and measured is not None:
                errors.append(result.estimated.precision - measured)
        line = f"{name:<34} drifted {drifted:>2}/{n_windows} ({drifted / n_windows:.0%})  per signal {signals}"
        if errors and name.startswith("in-distribution"):
            line += (f"\n{'':<34} estimate - measured precision: mean {statistics.mean(errors):+.3f}, "
                     f"max |error| {max(abs(e) for e in errors):.3f}")
        print(line)

    run("in-distribution (false alarms)", lambda k: in_distribution(size, seed=1000 + k))
    run("other domains (detection)", lambda k: other_domain(size, seed=2000 + k))

    def mixed(k: int) -> list[dict[str, Any]]:
        quarter = size // 4
        return in_distribution(size - quarter, seed=3000 + k) + other_domain(quarter, seed=4000 + k)

    run("25% other domains (detection)", mixed)


def logging_cost(docs: int, clients: int, rounds: int, workers: int) -> None:
    from bench.serve_throughput import Native, build_artifact, document, run_clients, start_server
    from nerspec.paths import StatePaths
    from nerspec.state import open_store

    rng = random.Random(0)
    texts = [document(rng)[0] for _ in range(docs)]
    batches = [[{"id": f"d{i + j}", "text": t} for j, t in enumerate(texts[i:i + 25])] for i in range(0, docs, 25)]
    results: dict[str, list[float]] = {"unmonitored": [], "monitored (store_texts)": []}
    with tempfile.TemporaryDirectory(prefix="nerspec-bench-monitor-") as tmp:
        state = Path(tmp) / "state"
        build_artifact(state, 0)
        for _ in range(rounds):
            for name in results:
                store = open_store(StatePaths(state), fresh_ok=True)  # the bench model has a pointer, no db yet
                store.record_monitoring_settings("bench", "production", {"store_texts": True, "sample": 1.0,
                                                                         "retention_days": 30} if "(" in name else None,
                                                 time.time())
                before = store.monitoring_counts().get(("bench", "production"), 0)
                store.close()
                process, url = start_server(state, workers, None)
                try:
                    run_clients(clients, batches[:4], Native(url))  # warm-up
                    wall, _ = run_clients(clients, batches, Native(url))
                    results[name].append(docs / wall)
                finally:
                    process.terminate()
                    process.wait(timeout=30)
                store = open_store(StatePaths(state))
                logged = store.monitoring_counts().get(("bench", "production"), 0) - before
                store.close()
                expected = docs + 4 * 25 if "(" in name else 0
                if logged != expected:
                    raise SystemExit(f"{name}: {logged} documents logged, expected {expected}")
    base = statistics.median(results["unmonitored"])
    print(f"\nserving {docs} documents, {clients} clients x 25 documents, --workers {workers}, {rounds} rounds each "
          "(alternating; every document of the monitored runs checked to be logged)")
    for name, values in results.items():
        median = statistics.median(values)
        print(f"{name:<26} median {median:7.1f} docs/s  runs {', '.join(f'{v:.0f}' for v in values)}  "
              f"ratio {median / base:.3f}")
    print(json.dumps({name: statistics.median(v) for name, v in results.items()}))


def logging_cpu(docs: int) -> None:
    """CPU seconds per document of the logging work (features + the batched SQLite insert, what the recorder's
    thread does) against the model's inference on the same documents: steadier than wall-clock throughput on a
    busy machine. Serving is CPU-bound, so throughput falls to about 1 / (1 + ratio) in the worst case."""
    from bench.serve_throughput import build_artifact, document
    from nerspec.predict import load
    from nerspec.serve.monitoring import Observed, document_row
    from nerspec.state.sqlite import SqliteStore
    from nerspec.vocabulary import words

    rng = random.Random(1)
    texts = [document(rng)[0] for _ in range(docs)]
    with tempfile.TemporaryDirectory(prefix="nerspec-bench-monitor-") as tmp:
        fingerprint = build_artifact(Path(tmp) / "state", 0)
        predictor = load(Path(tmp) / "state" / "models" / fingerprint)
        started = time.thread_time()
        outputs = [out for i in range(0, docs, 25) for out in predictor.pipe(texts[i:i + 25], batch_size=25)]
        inference = time.thread_time() - started
        vocabulary = frozenset(w for t in texts[: docs // 2] for w in words(t))
        store = SqliteStore(Path(tmp) / "log.db")
        started = time.thread_time()
        observed = [Observed("bench", "production", fingerprint, Path("."), time.time(), f"d{i}", text, "en", out,
                             True, 30) for i, (text, out) in enumerate(zip(texts, outputs))]
        for i in range(0, docs, 500):
            store.record_monitoring_documents([document_row(o, vocabulary) for o in observed[i:i + 500]])
        logging = time.thread_time() - started
        store.close()
    ratio = logging / inference
    print(f"\nCPU per document ({docs} documents, 1 thread): inference {inference / docs * 1e3:.3f} ms, logging with "
          f"store_texts {logging / docs * 1e3:.3f} ms (features, rows, SQLite batches of 500): ratio {ratio:.3f}, "
          f"so at most {1 - 1 / (1 + ratio):.1%} fewer documents/s when serving is CPU-bound")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--windows", type=int, default=20)
    parser.add_argument("--window", type=int, default=200, help="Documents per window.")
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-serving", action="store_true")
    parser.add_argument("--skip-drift", action="store_true")
    args = parser.parse_args()
    if not args.skip_drift:
        false_alarms(args.windows, args.window)
    logging_cpu(args.docs)
    if not args.skip_serving:
        logging_cost(args.docs, args.clients, args.rounds, args.workers)


if __name__ == "__main__":
    main()
