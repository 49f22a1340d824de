"""Benchmark: serving throughput (issues 6 and 7).

Same model, same 2,000 documents, three ways:
1. in-process ``nlp.pipe`` (the ceiling),
2. the native endpoint of ``nerspec serve`` over HTTP: 8 concurrent httpx clients, 25 documents per request
   (target: docs/s at least 0.9 of ``nlp.pipe``, issue 11), with p50/p99 request latency and the server's peak
   memory,
3. the official ``azure-ai-textanalytics`` client through the jobs API: 8 concurrent clients, 25 documents per
   job (``begin_recognize_custom_entities``), end-to-end per job (submit, poll, parse).

The server runs as a separate ``nerspec serve`` process on 127.0.0.1 (clients and server do not share a GIL),
with ``--workers`` inference threads. The model is nerspec's default NER pipeline (a shared tok2vec and a
``ner`` reading it through a listener) trained for a few iterations on generated sentences, written as an
artifact with a registry pointer; pass ``--artifact DIR`` to use a real artifact instead. Documents are generated
(a few sentences each, ~400 characters, some emoji), deterministic from ``--seed``.

Usage: python bench/serve_throughput.py [--docs 2000] [--clients 8] [--batch 25] [--workers 2] [--artifact DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FIRST = ["Alice", "Bob", "Carol", "Dave", "Eve", "Frank", "Grace", "Heidi", "Ivan", "Judy", "Mallory", "Oscar"]
LAST = ["Smith", "Jones", "King", "Brown", "Adams", "Miller", "Lee", "Garcia", "Novak", "Schmidt"]
CITIES = ["Paris", "Berlin", "Madrid", "Rome", "London", "Tokyo", "Lisbon", "Vienna", "Oslo", "Prague"]
FILLER = ["The quarterly report was filed on time.", "Prices rose again in the third quarter.",
          "Nothing unusual happened during the meeting.", "The committee will review the proposal next week.",
          "Several customers asked about the new terms 🙂.", "Shipping was delayed by the storm."]
TEMPLATES = ["{p} moved to {c} last year.", "{p} met {q} in {c}.", "The contract was signed by {p} in {c}.",
             "{p} and {q} flew from {c} to {d}.", "According to {p}, the office in {c} will close."]


def sentence(rng: random.Random) -> tuple[str, list[tuple[int, int, str]]]:
    template = rng.choice(TEMPLATES)
    values = {"p": f"{rng.choice(FIRST)} {rng.choice(LAST)}", "q": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
              "c": rng.choice(CITIES), "d": rng.choice(CITIES)}
    text, spans = "", []
    for literal, field, _, _ in __import__("string").Formatter().parse(template):
        text += literal
        if field:
            start = len(text)
            text += values[field]
            spans.append((start, len(text), "PERSON" if field in "pq" else "CITY"))
    return text, spans


def document(rng: random.Random) -> tuple[str, list[tuple[int, int, str]]]:
    text, spans = "", []
    while len(text) < 350:
        if rng.random() < 0.5:
            s, ents = sentence(rng)
            spans += [(a + len(text), b + len(text), label) for a, b, label in ents]
            text += s + " "
        else:
            text += rng.choice(FILLER) + " "
    return text.strip(), spans


def build_artifact(state: Path, seed: int) -> str:
    import spacy
    from spacy.training import Example
    from spacy.util import fix_random_seed

    from nerspec import atomic
    from nerspec.paths import StatePaths

    fix_random_seed(seed)
    rng = random.Random(seed)
    from nerspec.kinds.pipeline import tok2vec_block

    nlp = spacy.blank("en")
    # nerspec's default NER architecture (nerspec.kinds.pipeline): a shared tok2vec component and a
    # transition-based ``ner`` reading it through a listener.
    nlp.add_pipe("tok2vec", config={"model": tok2vec_block(96, depth=4)})
    ner = nlp.add_pipe("ner", config={"model": {
        "@architectures": "spacy.TransitionBasedParser.v2", "state_type": "ner", "extra_state_tokens": False,
        "hidden_width": 64, "maxout_pieces": 2, "use_upper": True, "nO": None,
        "tok2vec": {"@architectures": "spacy.Tok2VecListener.v1", "width": 96, "upstream": "*"}}})
    for label in ("PERSON", "CITY"):
        ner.add_label(label)
    examples = [Example.from_dict(nlp.make_doc(t), {"entities": s}) for t, s in (document(rng) for _ in range(200))]
    optimizer = nlp.initialize(lambda: examples)
    for _ in range(5):
        rng.shuffle(examples)
        for i in range(0, len(examples), 16):
            nlp.update(examples[i:i + 16], sgd=optimizer)
    fingerprint = "bench" + "0" * 15
    paths = StatePaths(state)
    with atomic.staged_dir(paths.models / fingerprint) as staged:
        nlp.to_disk(staged / "model")
        (staged / "meta.json").write_text(json.dumps({"fingerprint": fingerprint, "project": "bench",
                                                      "kind": "NERProject", "language": "en",
                                                      "labels": ["PERSON", "CITY"], "multilabel": False}))
    record_deployment(paths, fingerprint)
    return fingerprint


def record_deployment(paths: Any, fingerprint: str) -> None:
    """What `nerspec apply` leaves for a local deployment: the model and the deployment recorded in the state (what
    the server serves) and the pointer file (this machine's cache of it)."""
    from nerspec.artifacts.layout import file_hashes
    from nerspec.deploy import local
    from nerspec.fingerprints.stat_cache import StatCache
    from nerspec.state import DeploymentRecord, ModelRecord, open_store

    store = open_store(paths, fresh_ok=True)
    try:
        store.record_model(ModelRecord("bench", fingerprint, "2026-01-01T00:00:00+00:00", "0", f"models/{fingerprint}",
                                       artifact_files=file_hashes(paths.models / fingerprint, StatCache(paths.cache))))
        local.point(paths, "bench", "production", fingerprint)
        store.set_deployment(DeploymentRecord("bench", "production", fingerprint, {"type": "local"},
                                              "2026-01-01T00:00:00+00:00"), action="deploy", actor="bench", reason="bench")
    finally:
        store.close()


def use_artifact(state: Path, artifact: Path) -> str:
    from nerspec.model_meta import read_model_meta
    from nerspec.paths import StatePaths

    fingerprint = read_model_meta(artifact).fingerprint or artifact.name
    shutil.copytree(artifact, state / "models" / fingerprint)
    record_deployment(StatePaths(state), fingerprint)
    return fingerprint


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def run_clients(n_clients: int, batches: list[list[dict[str, str]]], call: Any) -> tuple[float, list[float]]:
    """Each client takes the next batch from a shared list; returns wall seconds and per-call latencies."""
    lock = threading.Lock()
    cursor = [0]
    latencies: list[float] = []
    errors: list[str] = []

    def worker() -> None:
        session = call.session()
        try:
            while True:
                with lock:
                    if cursor[0] >= len(batches):
                        return
                    batch = batches[cursor[0]]
                    cursor[0] += 1
                started = time.perf_counter()
                try:
                    call(session, batch)
                except Exception as exc:  # counted, reported, and the run fails below
                    errors.append(repr(exc))
                with lock:
                    latencies.append(time.perf_counter() - started)
        finally:
            call.close(session)

    threads = [threading.Thread(target=worker) for _ in range(n_clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    wall = time.perf_counter() - started
    if errors:
        raise SystemExit(f"{len(errors)} failed calls, first: {errors[0]}")
    return wall, latencies


class Native:
    def __init__(self, url: str) -> None:
        self.url = url + "/projects/bench/deployments/production:analyze"

    def session(self) -> Any:
        import httpx

        return httpx.Client(timeout=120)

    def close(self, session: Any) -> None:
        session.close()

    def __call__(self, session: Any, batch: list[dict[str, str]]) -> None:
        response = session.post(self.url, json={"documents": batch}, params={"stringIndexType": "UnicodeCodePoint"})
        if response.status_code != 200 or len(response.json()["documents"]) != len(batch):
            raise RuntimeError(f"HTTP {response.status_code}: {response.text[:200]}")


class OfficialClient:
    def __init__(self, url: str) -> None:
        self.url = url

    def session(self) -> Any:
        from azure.ai.textanalytics import TextAnalyticsClient
        from azure.core.credentials import AzureKeyCredential

        return TextAnalyticsClient(self.url, AzureKeyCredential("unused"))

    def close(self, session: Any) -> None:
        session.close()

    def __call__(self, session: Any, batch: list[dict[str, str]]) -> None:
        poller = session.begin_recognize_custom_entities(batch, project_name="bench", deployment_name="production",
                                                         string_index_type="UnicodeCodePoint", polling_interval=1)
        results = list(poller.result())
        if len(results) != len(batch) or any(r.is_error for r in results):
            raise RuntimeError("job returned errors")


def start_server(state: Path, workers: int, beam: int | None) -> tuple[subprocess.Popen[bytes], str]:
    import socket

    import httpx

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen([sys.executable, "-m", "nerspec", "serve", "--host", "127.0.0.1", "--port", str(port),
                                "--state", str(state), "--workers", str(workers),
                                *(["--confidence-beam", str(beam)] if beam else [])], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited: {process.stderr.read().decode()[-2000:] if process.stderr else ''}")
        try:
            if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                return process, url
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.kill()
    raise SystemExit("server did not become ready")


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--batch", type=int, default=25)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=3, help="runs per mode; the best is reported")
    parser.add_argument("--artifact", type=Path, default=None)
    parser.add_argument("--confidence-beam", type=int, default=None,
                        help="passed to nerspec serve (> 1: beam confidences); default: the greedy parser's action scores")
    args = parser.parse_args()

    rng = random.Random(args.seed + 1)
    texts = [document(rng)[0] for _ in range(args.docs)]
    docs = [{"id": str(i), "text": t, "language": "en"} for i, t in enumerate(texts)]
    batches = [docs[i:i + args.batch] for i in range(0, len(docs), args.batch)]
    chars = sum(map(len, texts))

    with tempfile.TemporaryDirectory(prefix="nerspec-bench-") as tmp:
        state = Path(tmp)
        fingerprint = use_artifact(state, args.artifact) if args.artifact else build_artifact(state, args.seed)
        import spacy

        nlp = spacy.load(state / "models" / fingerprint / "model")
        list(nlp.pipe(texts[:200]))  # warm-up
        pipe_runs = []
        for _ in range(args.repeats):
            started = time.perf_counter()
            list(nlp.pipe(texts))
            pipe_runs.append(time.perf_counter() - started)
        pipe_dps = args.docs / min(pipe_runs)

        # The server does what Predictor.pipe does (entities from the NER's own greedy decoding, calibrated
        # confidences from the greedy parser's own action scores), so that is the like-for-like in-process
        # figure; raw greedy nlp.pipe (no confidences) is the reference the issues' targets name.
        from nerspec.predict import load

        predictor = load(state / "models" / fingerprint, **({"beam_width": args.confidence_beam}
                                                           if args.confidence_beam else {}))
        list(predictor.pipe(texts[:200], batch_size=args.batch))
        predictor_runs = []
        for _ in range(args.repeats):
            started = time.perf_counter()
            list(predictor.pipe(texts, batch_size=args.batch))
            predictor_runs.append(time.perf_counter() - started)
        predictor_dps = args.docs / min(predictor_runs)
        del predictor

        process, url = start_server(state, args.workers, args.confidence_beam)
        try:
            run_clients(args.clients, batches[:16], Native(url))  # warm-up: connections, first batches
            native_best, native_lat = None, []
            for _ in range(args.repeats):
                wall, lat = run_clients(args.clients, batches, Native(url))
                if native_best is None or wall < native_best:
                    native_best, native_lat = wall, lat
            run_clients(args.clients, batches[:16], OfficialClient(url))
            jobs_best, jobs_lat = None, []
            for _ in range(args.repeats):
                wall, lat = run_clients(args.clients, batches, OfficialClient(url))
                if jobs_best is None or wall < jobs_best:
                    jobs_best, jobs_lat = wall, lat
            rss = peak_rss_mb(process.pid)
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()

    native_dps = args.docs / native_best
    jobs_dps = args.docs / jobs_best
    print(f"documents: {args.docs} ({chars / args.docs:.0f} chars on average), {args.batch} per request, "
          f"{args.clients} clients, server --workers {args.workers}, cpus {os.cpu_count()}, best of {args.repeats}")
    beam = f"beam {args.confidence_beam}" if args.confidence_beam and args.confidence_beam > 1 else "action-score"
    print(f"in-process nlp.pipe          : {pipe_dps:8.1f} docs/s   (greedy NER, no confidences)")
    print(f"in-process Predictor.pipe    : {predictor_dps:8.1f} docs/s   (greedy entities + {beam} confidences, the server's work)")
    print(f"native endpoint (httpx)      : {native_dps:8.1f} docs/s   ratio vs nlp.pipe {native_dps / pipe_dps:.2f} "
          f"(target >= 0.90)   latency p50 {1000 * statistics.median(native_lat):.1f} ms, "
          f"p99 {1000 * percentile(native_lat, 0.99):.1f} ms")
    print(f"                               ratio vs in-process Predictor.pipe {native_dps / predictor_dps:.2f}")
    print(f"jobs API (official client)   : {jobs_dps:8.1f} docs/s   ratio vs nlp.pipe {jobs_dps / pipe_dps:.2f}, "
          f"vs native {jobs_dps / native_dps:.2f}   job latency p50 {1000 * statistics.median(jobs_lat):.1f} ms, "
          f"p99 {1000 * percentile(jobs_lat, 0.99):.1f} ms")
    print(f"                               ratio vs in-process Predictor.pipe {jobs_dps / predictor_dps:.2f}")
    print(f"server peak memory (VmHWM)   : {rss:8.1f} MiB")


if __name__ == "__main__":
    main()
