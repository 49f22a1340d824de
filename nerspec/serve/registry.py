"""The served deployments: the state's records watched by polling, models loaded once and swapped atomically.

The state is the truth about deployments (``nerspec.deploy.targets``): a poller thread asks its source
(``nerspec.serve.shared.StateSource``: one small query of the state's deployments, those whose target a server
reading this state serves) at a fixed interval and compares each deployment's description with what it loaded
last. On a change it loads the new model on that thread, then replaces the deployment's entry in one dictionary
assignment under a lock. A request takes a reference to the entry it starts with, so requests in flight finish
on the old model and the old model is freed when the last of them drops it; no request ever sees a half-loaded
model or a missing deployment. Pointer files are never read: a pointer the state never recorded is never
served. With PostgreSQL the source also LISTENs, so a change is picked up at once. Models are shared by
directory, so two deployments of one fingerprint load once.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from nerspec.deploy.verify import WrongModel
from nerspec.errors import ModelNotFoundError
from nerspec.kinds import NER_KIND, ProjectKind, kind_of
from nerspec.model_meta import ModelMeta, find_model_meta
from nerspec.paths import StatePaths
from nerspec.timestamps import utc_timestamp as utc_now

if TYPE_CHECKING:
    from nerspec.predict import Predictor
    from nerspec.predictions import Prediction

log = logging.getLogger("nerspec.serve")

RETRY_FAILED_AFTER_S = 10.0


@dataclass(frozen=True)
class Loaded:
    """One live deployment: immutable, so a request can keep using it while a newer one replaces it."""

    project: str
    deployment: str
    fingerprint: str
    model_dir: Path
    kind: str
    language: str | None
    multilabel: bool
    predictor: Predictor
    loaded_at: str
    deployed_at: str | None = None

    @property
    def project_kind(self) -> ProjectKind:
        return kind_of(self.kind)

    @property
    def shape(self) -> str:
        """What its answers look like: its kind and labelling (a rollout's candidate must answer in production's)."""
        return f"{'multi-label ' if self.multilabel else ''}{self.kind}"

    def pipe(
        self, texts: list[str], batch_size: int | None = None, languages: list[str | None] | None = None
    ) -> list[Prediction]:
        size = batch_size or max(len(texts), 1)
        if languages is None:  # fakes and older predictors take no languages
            return list(self.predictor.pipe(texts, batch_size=size))
        return list(self.predictor.pipe(texts, batch_size=size, languages=languages))


def read_meta(model_dir: Path) -> ModelMeta:
    """The model's ``meta.json``; an empty record when it is missing or unreadable (the loader reports that)."""
    return find_model_meta(model_dir) or ModelMeta()


def load_predictor(model_dir: Path, beam_width: int | None = None) -> Predictor:
    """``nerspec.predict.load``; ``beam_width`` trades confidence quality for speed (1: the greedy parser's action scores; entities unchanged)."""
    from nerspec.predict import load

    predictor = load(model_dir) if beam_width is None else load(model_dir, beam_width=beam_width)
    for note in predictor.notes:
        log.warning("%s: %s", model_dir.name, note)
    return predictor


@dataclass
class _Failure:
    raw: bytes
    at: float
    message: str


@dataclass
class Registry:
    """Live deployments of one state directory."""

    paths: StatePaths
    poll_interval: float = 0.5
    loader: Callable[[Path], Predictor] = load_predictor
    # more pointers, e.g. the deployments a (shared) state records (nerspec.serve.shared.StateSource)
    source: Callable[[], dict[tuple[str, str], bytes]] | None = None
    _live: dict[tuple[str, str], Loaded] = field(default_factory=dict)
    _raw: dict[tuple[str, str], bytes] = field(default_factory=dict)
    _failures: dict[tuple[str, str], _Failure] = field(default_factory=dict)
    _by_dir: dict[str, Predictor] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _scan_lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    scans: int = 0
    swaps: int = 0

    def __post_init__(self) -> None:
        if self.source is None:
            from nerspec.serve.shared import StateSource

            self.source = StateSource(self.paths)

    # -- reading (request path: one dict lookup under a lock) --------------------------------------------
    def get(self, project: str, deployment: str) -> Loaded:
        with self._lock:
            loaded = self._live.get((project, deployment))
        if loaded is None:
            failure = self._failures.get((project, deployment))
            if failure is not None:
                raise ModelNotFoundError(failure.message)
            raise ModelNotFoundError(f"deployment '{deployment}' of project '{project}' is not served here")
        return loaded

    def snapshot(self) -> dict[tuple[str, str], Loaded]:
        with self._lock:
            return dict(self._live)

    def failures(self) -> dict[str, str]:
        return {f"{p}/{d}": f.message for (p, d), f in self._failures.items()}

    @property
    def ready(self) -> bool:
        return self.scans > 0

    # -- watching ------------------------------------------------------------------------------------------
    def start(self) -> None:
        self.scan()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="nerspec-registry-watcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.poll_interval):
            try:
                self.scan()
            except Exception:  # a bug must not kill the watcher: log it and keep serving what is loaded
                log.exception("registry scan failed")

    def _pointer_files(self) -> dict[tuple[str, str], bytes]:
        """What the state records for every deployment served here (the registry's source), as bytes to compare."""
        return dict(self.source()) if self.source is not None else {}

    def scan(self) -> None:
        """Bring the live set in line with the pointer files; loads happen here, swaps are one assignment."""
        with self._scan_lock:
            pointers = self._pointer_files()
            for key, raw in pointers.items():
                if self._raw.get(key) == raw:
                    continue
                failure = self._failures.get(key)
                if failure and failure.raw == raw and time.monotonic() - failure.at < RETRY_FAILED_AFTER_S:
                    continue
                try:
                    loaded = self._load(key, raw)
                except Exception as exc:  # keep serving the previous (verified) model; report on /readyz
                    log.warning("cannot load %s/%s: %s", key[0], key[1], exc)
                    self._failures[key] = _Failure(raw, time.monotonic(), str(exc) or type(exc).__name__)
                    if isinstance(exc, WrongModel) and exc.state_disagrees:
                        # Most likely `apply` between switching the pointer and recording it: look again next poll.
                        self._failures[key].at -= RETRY_FAILED_AFTER_S
                    continue
                with self._lock:
                    self._live[key] = loaded
                    self._raw[key] = raw
                self._failures.pop(key, None)
                self.swaps += 1
            with self._lock:
                for key in [k for k in self._live if k not in pointers]:
                    del self._live[key]
                    self._raw.pop(key, None)
                for key in [k for k in self._failures if k not in pointers]:
                    del self._failures[key]
                in_use = {str(loaded.model_dir) for loaded in self._live.values()}
                for directory in [d for d in self._by_dir if d not in in_use]:
                    del self._by_dir[directory]  # in-flight requests still hold their own reference
            self.scans += 1

    def preload(self, project: str, deployment: str, pointer: Mapping[str, object]) -> None:
        """Verify and load the model ``pointer`` names without serving it yet (admin upload: load, then switch).
        Call it inside ``switching()``, so the watcher does not drop the loaded model before the switch."""
        from nerspec.deploy.verify import open_state, verify

        store = open_state(self.paths)
        try:
            model_dir = verify(self.paths, project, deployment, pointer, store, switching=True)
        finally:
            if store is not None:
                store.close()
        if str(model_dir) not in self._by_dir:
            self._by_dir[str(model_dir)] = self.loader(model_dir)

    def switching(self) -> threading.Lock:
        """Hold off the watcher while a pointer and its state record change together."""
        return self._scan_lock

    def _load(self, key: tuple[str, str], raw: bytes) -> Loaded:
        pointer = json.loads(raw.decode("utf-8"))
        if not isinstance(pointer, dict) or not pointer.get("fingerprint"):
            raise ValueError("deployment record has no fingerprint")
        if pointer.get("error"):
            raise ValueError(str(pointer["error"]))
        fingerprint = str(pointer["fingerprint"])
        model_dir = Path(str(pointer.get("model_dir") or self.paths.models / fingerprint))
        self._verify(key, fingerprint, model_dir, pointer.get("target"))
        predictor = self._by_dir.get(str(model_dir))
        if predictor is None:
            predictor = self.loader(model_dir)
            self._by_dir[str(model_dir)] = predictor
        meta = read_meta(model_dir)
        return Loaded(
            project=key[0],
            deployment=key[1],
            fingerprint=fingerprint,
            model_dir=model_dir,
            kind=str(getattr(predictor, "kind", None) or meta.kind or NER_KIND),
            language=meta.language,
            multilabel=meta.multilabel,
            predictor=predictor,
            loaded_at=utc_now(),
            deployed_at=pointer.get("deployed_at"),
        )

    def _verify(self, key: tuple[str, str], fingerprint: str, model_dir: Path, target: object) -> None:
        """The files are the ones the state recorded (hashed in full on every load: a server never trusts size +
        mtime for weights); then this machine's cache of the deployment follows the state."""
        from nerspec.deploy.targets import TargetContext, target_for
        from nerspec.deploy.verify import verify_recorded
        from nerspec.state import open_store

        store = open_store(self.paths, create=False)
        try:
            verify_recorded(store, key[0], key[1], fingerprint, model_dir)
            declared = target_for({"type": target if isinstance(target, str) else None})
            declared.refresh(TargetContext(self.paths, store), key[0], key[1], fingerprint)
        finally:
            store.close()
