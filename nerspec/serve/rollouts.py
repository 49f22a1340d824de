"""Rollouts in the server: the candidates staged in the state, shadows and canaries, and their observations.

The server only records; the verdict is ``nerspec.plan.rollouts``' and the next ``apply`` acts on it.

- **Candidates.** A watcher thread reads the state's rollouts (one small query per poll) and loads each staged
  candidate beside its deployment, its files verified against the hashes the state recorded.
- **Shadow.** The request is answered by production as always; afterwards its documents and production's answers
  go into a bounded queue, and one worker thread runs the candidate on them in production's idle time: one unit
  (the scheduler's piece of work, at most 2,000 characters) at a time, each only when no request is in flight.
  A full queue, or production busy for ``SHADOW_PATIENCE_S``, drops the request's shadow (``dropped``, on
  ``/metrics``): the caller never waits for more than one candidate unit, and only ever gets production's answer.
- **Canary.** A document is the candidate's when a hash of the candidate's fingerprint and the document id falls
  below ``weight`` (sticky: the same id always gets the same model, on every server). Those documents are
  answered by the candidate, the others by production, each result naming its ``modelFingerprint``; production's
  answer to the candidate's documents is computed by the same worker afterwards, for the agreement. The native
  endpoint and the jobs API route through the same ``analyze``, so a document gets the same model on both.
- **Observations.** One per document both models answered (``nerspec.plan.rollouts.compare`` counts), with both
  models' compute time (the CPU time of the threads running their units: waiting for a worker or the shadow
  thread's low priority is not the model's cost), written to the state in batches by a ``BatchRecorder``.
"""

from __future__ import annotations

import hashlib
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from nerspec.errors import StateError
from nerspec.plan.rollouts import compare
from nerspec.predictions import Prediction
from nerspec.serve import analysis
from nerspec.serve.analysis import Workers
from nerspec.serve.documents import DocumentJSON, DocumentResult
from nerspec.serve.errors import DocumentErrorJSON
from nerspec.serve.recorder import BatchRecorder
from nerspec.serve.registry import Loaded, read_meta
from nerspec.state.store import RolloutObservation, RolloutRecord
from nerspec.timestamps import utc_timestamp

if TYPE_CHECKING:
    from pathlib import Path

    from nerspec.paths import StatePaths
    from nerspec.predict import Predictor
    from nerspec.state.store import Store

log = logging.getLogger("nerspec.serve")

SHADOW_QUEUE = 256  # requests waiting for the candidate; beyond that a request's shadow is dropped
SHADOW_PATIENCE_S = 5.0  # a shadow waits this long for a gap in production's work, else it is dropped
BATCH_ROWS = 100  # observations per write: what a killed server can lose at most (while the writer keeps up)
BATCH_SECONDS = 1.0
RETRY_LOAD_S = 30.0


@dataclass(frozen=True)
class Candidate:
    rollout: RolloutRecord
    loaded: Loaded

    def answers(self, key: str) -> bool:
        """A canary document the candidate answers (sticky: a hash of the candidate and the document id)."""
        weight = self.rollout.weight
        if self.rollout.strategy != "canary" or not weight:
            return False
        digest = hashlib.sha256(f"{self.rollout.candidate}\0{key}".encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64 < weight


@dataclass
class _Job:
    """Run ``model`` on ``documents`` and compare with the answers ``known`` that were given (off the request)."""

    candidate: Candidate
    model: Loaded
    documents: list[DocumentJSON]
    known: list[Prediction]
    known_ms: float
    known_is_candidate: bool
    unit: str


class Dropped(Exception):
    """Production stayed busy: the shadow gave way and was dropped."""


def timed(loaded: Loaded, documents: list[DocumentJSON], unit: str,
          before_unit: Callable[[], bool] | None = None) -> tuple[list[DocumentResult], float]:
    """Blocking analysis (inline, in the scheduler's units) and the model's own ms; ``before_unit()`` False: drop."""
    checked, plan = analysis.prepare(loaded, documents, 413)
    spent = 0.0
    outputs = []
    for fn in analysis.unit_work(loaded, checked, plan):
        if before_unit is not None and not before_unit():
            raise Dropped
        started = time.thread_time()
        outputs.append(fn())
        spent += time.thread_time() - started
    return analysis.assemble(loaded, checked, plan, outputs, unit), spent * 1000.0


@dataclass
class Rollouts:
    paths: StatePaths
    loader: Callable[[Path], Predictor]
    poll_interval: float = 0.5
    # blocks until production has no request in flight (True) or the timeout passes (False): the fair scheduler's
    idle: Callable[[float], bool] | None = None
    _live: dict[tuple[str, str], Candidate] = field(default_factory=dict)
    _failed: dict[str, float] = field(default_factory=dict)  # rollout id -> when loading it failed
    _mismatched: set[str] = field(default_factory=set)  # rollout ids whose candidate is of another kind (warned)
    _jobs: queue.Queue[_Job | None] = field(default_factory=lambda: queue.Queue(maxsize=SHADOW_QUEUE))
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _local: threading.local = field(default_factory=threading.local)
    recorder: BatchRecorder[RolloutObservation] | None = None
    dropped: int = 0  # requests whose shadow was dropped (queue full, or production busy too long)
    _running: int = 0  # a shadow job in progress

    def start(self) -> None:
        self.recorder = BatchRecorder(self._write, max_rows=BATCH_ROWS, max_seconds=BATCH_SECONDS,
                                      max_queue=100 * BATCH_ROWS, name="nerspec-rollout-recorder")
        self._scan_or_log()  # a malformed row at start stages nothing, as at any later poll: never an outage
        for target, name in ((self._watch, "nerspec-rollout-watcher"), (self._work, "nerspec-rollout-shadow")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        try:
            self._jobs.put_nowait(None)
        except queue.Full:
            pass
        for thread in self._threads:
            thread.join(timeout=10)
        if self.recorder is not None:
            self.recorder.close()

    def get(self, project: str, deployment: str) -> Candidate | None:
        with self._lock:
            return self._live.get((project, deployment))

    def candidate_for(self, production: Loaded) -> Candidate | None:
        """The candidate staged on ``production``'s deployment if it is of production's kind and labelling: one
        of another (a classifier for an NER deployment) must not change what the callers get."""
        candidate = self.get(production.project, production.deployment)
        if candidate is None or candidate.loaded.shape == production.shape:
            return candidate
        if candidate.rollout.id not in self._mismatched:
            self._mismatched.add(candidate.rollout.id)
            log.warning("not routing to %s/%s's candidate %.12s: a %s, production a %s", production.project,
                        production.deployment, candidate.rollout.candidate, candidate.loaded.shape, production.shape)
        return None

    def shadow_answered(self, candidate: Candidate, documents: list[DocumentJSON], results: list[DocumentResult],
                        production_ms: float, unit: str) -> bool:
        """Production answered ``documents`` (``results``, in order): queue ``candidate``'s shadow (the one the
        request's routing checked, not whatever is staged by now; False: not a shadow, or dropped)."""
        if candidate.rollout.strategy != "shadow" or not results:
            return False
        by_id = {str(d["id"]): d for d in documents}
        return self.shadow(_Job(candidate, candidate.loaded, [by_id[r.id] for r in results],
                                [r.predictions for r in results], production_ms, False, unit))

    def shadow(self, job: _Job) -> bool:
        """Queue the candidate's (or, for canary documents, production's) run; False when dropped."""
        try:
            self._jobs.put_nowait(job)
        except queue.Full:
            self.dropped += 1
            return False
        return True

    # -- the candidates ------------------------------------------------------------------------------------
    def _store(self) -> Store | None:
        store = getattr(self._local, "store", None)
        if store is None:
            from nerspec.state import open_store

            if not self.paths.shared and not self.paths.db.is_file():
                return None
            store = self._local.store = open_store(self.paths, create=False)
        return store

    def _watch(self) -> None:
        while not self._stop.wait(self.poll_interval):
            self._scan_or_log()

    def _scan_or_log(self) -> None:
        try:
            self.scan()
        except Exception:  # keep serving what is loaded; the next poll tries again
            log.exception("reading the rollouts failed")
            self._local.store = None

    def scan(self) -> None:
        store = self._store()
        try:
            records = {(r.project, r.deployment): r for r in store.all_rollouts()} if store is not None else {}
        except StateError:  # a malformed row: stage nothing rather than keep routing to what was staged before
            with self._lock:
                self._live.clear()
            raise
        for key, record in records.items():
            if store is None:
                break
            live = self.get(*key)
            if live is not None and live.rollout.id == record.id:
                continue
            failed_at = self._failed.get(record.id)
            if failed_at is not None and time.monotonic() - failed_at < RETRY_LOAD_S:
                continue
            try:
                candidate = Candidate(record, self._load(store, record))
            except Exception as exc:  # never shadow or serve an unverified model; production is unaffected
                if failed_at is None:
                    log.warning("cannot load candidate %s of %s/%s: %s", record.candidate[:12], *key, exc)
                self._failed[record.id] = time.monotonic()
                with self._lock:  # the candidate of an ended rollout must not go on answering for this one
                    self._live.pop(key, None)
                continue
            with self._lock:
                self._live[key] = candidate
        with self._lock:
            for key in [k for k in self._live if k not in records]:
                del self._live[key]

    def _load(self, store: Store, record: RolloutRecord) -> Loaded:
        from nerspec.deploy.targets import TargetContext
        from nerspec.deploy.verify import changed_files
        from nerspec.kinds import NER_KIND

        model = store.get_model(record.candidate)
        if model is None:
            raise FileNotFoundError(f"the state has no model {record.candidate}")
        model_dir = TargetContext(self.paths, store).local_model(record.candidate)
        changed = changed_files(model_dir, model.artifact_files)
        if changed:
            raise ValueError(f"files {', '.join(changed[:3])} do not match their recorded hashes")
        predictor = self.loader(model_dir)
        list(predictor.pipe(["warm up"], batch_size=1))  # a first call is slower: keep it out of the latency ratio
        meta = read_meta(model_dir)
        return Loaded(record.project, record.deployment, record.candidate, model_dir,
                      str(getattr(predictor, "kind", None) or meta.kind or NER_KIND), meta.language,
                      meta.multilabel, predictor, utc_timestamp())

    # -- shadows and observations --------------------------------------------------------------------------
    def _work(self) -> None:
        import os

        try:  # Linux: this thread alone gets the lowest CPU priority, so a busy machine serves production first
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
        except (AttributeError, OSError):
            pass
        while not self._stop.is_set():
            job = self._jobs.get()
            if job is None:
                return
            self._running = 1
            try:
                self._observe(job)
            except Exception:
                log.exception("a rollout observation failed")
            finally:
                self._running = 0

    def _observe(self, job: _Job) -> None:
        spans = job.candidate.loaded.project_kind.annotates_spans
        idle = self.idle
        try:
            results, ms = timed(job.model, job.documents, job.unit,
                                None if idle is None else lambda: idle(SHADOW_PATIENCE_S))
            ran: list[Prediction | None] = [r.predictions for r in results]
        except Dropped:
            self.dropped += 1
            return
        except Exception:
            log.exception("the %s failed on a request", "production model" if job.known_is_candidate else "candidate")
            ran, ms = [None] * len(job.documents), 0.0
        for known, other in zip(job.known, ran):
            if job.known_is_candidate:
                self.record(_observation(job.candidate, known, job.known_ms, other, ms, spans))
            else:
                self.record(_observation(job.candidate, other, ms, known, job.known_ms, spans))

    def record(self, observation: RolloutObservation | None) -> None:
        if observation is not None and self.recorder is not None:
            self.recorder.record(observation)

    def _write(self, batch: list[RolloutObservation]) -> None:
        store = self._store()
        if store is not None:
            store.record_rollout_observations(batch)

    async def analyze(self, workers: Workers, client: str, loaded: Loaded, candidate: Candidate,
                      documents: list[DocumentJSON], unit: str, asked: Asked | None = None,
                      ) -> tuple[list[DocumentResult], list[DocumentErrorJSON]]:
        """Every API's path while a candidate is staged (``analyze`` below)."""
        return await analyze(workers, self, client, loaded, candidate, documents, unit, asked or Asked())

    def run(self, workers: Workers, client: str, loaded: Loaded, candidate: Candidate, documents: list[DocumentJSON],
            unit: str, asked: Asked) -> tuple[list[DocumentResult], list[DocumentErrorJSON]]:
        """``analyze`` from a thread that is not the event loop's (a job's worker): its units still go through the
        fair scheduler; this thread only waits for them, as it does without a rollout."""
        import asyncio

        return asyncio.run(analyze(workers, self, client, loaded, candidate, documents, unit, asked))

    def counters(self) -> dict[str, float]:
        recorder = self.recorder
        return {"shadow_dropped": float(self.dropped),
                "shadow_pending": float(self._jobs.qsize() + self._running),
                "observations_pending": float(recorder.pending if recorder else 0),
                "observations_dropped": float(recorder.dropped if recorder else 0),
                "observations_failed": float(recorder.failed if recorder else 0)}


def _observation(candidate: Candidate, answer: Prediction | None, candidate_ms: float,
                 production: Prediction | None, production_ms: float,
                 spans: bool) -> RolloutObservation | None:
    """None when production itself failed: there is nothing to compare with, and it is not the candidate's fault."""
    rid = candidate.rollout.id
    if production is None:
        return None
    if answer is None:
        return RolloutObservation(rid, True, 0, 0, 0, False, None, production_ms)
    c = compare(answer, production, spans)
    return RolloutObservation(rid, False, c.matched, c.candidate_only, c.production_only, c.identical,
                              candidate_ms, production_ms)


@dataclass(frozen=True)
class Asked:
    """What differs between the APIs that route through a rollout: the status of a request over the limits (the
    native endpoint's 413, the jobs API's 400) and whether only the first class is returned (a single-label job)."""

    too_large_status: int = 413
    single_label: bool = False


async def analyze(workers: Workers, rollouts: Rollouts, client: str, loaded: Loaded, candidate: Candidate,
                  documents: list[DocumentJSON], unit: str,
                  asked: Asked = Asked()) -> tuple[list[DocumentResult], list[DocumentErrorJSON]]:
    """Every API's path while ``loaded``'s deployment has a candidate (shadow or canary): the native endpoint awaits
    it, a job's worker thread runs it (``Rollouts.run``)."""
    analysis.prepare(loaded, documents, asked.too_large_status)  # request-level limits, as without a rollout
    mine = [d for d in documents if candidate.answers(str(d.get("id") or d.get("text", "")))]
    theirs = [d for d in documents if d not in mine] if mine else documents
    production_ms: list[float] = []
    results: list[DocumentResult] = []
    errors: list[DocumentErrorJSON] = []
    if theirs:
        results, errors = await analysis.analyze_fairly(workers, client, loaded, theirs, unit, asked.too_large_status,
                                                        timings=production_ms, single_label=asked.single_label)
    for r in results:
        r.model_fingerprint = loaded.fingerprint
    rollouts.shadow_answered(candidate, documents, results, sum(production_ms), unit)
    if mine:
        canary, canary_errors = await _canary(workers, rollouts, client, loaded, candidate, mine, unit, asked)
        order = {str(d["id"]): i for i, d in enumerate(documents)}
        results = sorted([*results, *canary], key=lambda r: order.get(r.id, 0))
        errors = [*errors, *canary_errors]
    return results, errors


async def _canary(workers: Workers, rollouts: Rollouts, client: str, loaded: Loaded, candidate: Candidate,
                  documents: list[DocumentJSON], unit: str,
                  asked: Asked) -> tuple[list[DocumentResult], list[DocumentErrorJSON]]:
    """The candidate answers its documents; production's answers follow off the request, for the agreement. A
    failing candidate is an error observation, and production answers instead."""
    spent: list[float] = []
    status, single = asked.too_large_status, asked.single_label
    try:
        results, errors = await analysis.analyze_fairly(workers, client, candidate.loaded, documents, unit, status,
                                                        timings=spent, single_label=single)
    except Exception:
        log.exception("canary %s failed; production answers", candidate.rollout.candidate[:12])
        production_ms: list[float] = []
        results, errors = await analysis.analyze_fairly(workers, client, loaded, documents, unit, status,
                                                        timings=production_ms, single_label=single)
        for r in results:
            r.model_fingerprint = loaded.fingerprint
            rollouts.record(_observation(candidate, None, 0.0, [], sum(production_ms), False))
        return results, errors
    for r in results:
        r.model_fingerprint = candidate.rollout.candidate
    by_id = {str(d["id"]): d for d in documents}
    rollouts.shadow(_Job(candidate, loaded, [by_id[r.id] for r in results], [r.predictions for r in results],
                         sum(spent), True, unit))
    return results, errors


__all__ = ["Asked", "Candidate", "Rollouts", "analyze", "timed"]
