"""Serving what the state records: every deployment a server reading the state serves (its target says so).

``StateSource`` is the registry's source of deployments: on every poll it reads
the state's deployments (one small query) and, for a fingerprint it has not seen yet, brings the model into
the local cache from the artifact store, verified against the hashes the state recorded. A model whose files
do not match is never served: its entry carries the error, the registry keeps the previous model and reports
the failure on ``/readyz``. The delay between an ``apply`` and the swap is the poll interval (``--poll``,
default 2 s with a shared state) plus the download and load time; where the state store announces changes
(``Store.listen``: PostgreSQL LISTENs on ``nerspec_deployments``, which every deployment change NOTIFYs on commit)
a swap starts at once and polling is only the fallback when notifications are lost.

Served: every recorded deployment whose target is ``served_here`` (``local``, ``registry``, admin uploads; not
``http`` ones, which their own server serves), with a SQLite state as with a shared one.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nerspec.paths import StatePaths
    from nerspec.state.store import DeploymentRecord, Store

log = logging.getLogger("nerspec.serve")
RETRY_FETCH_S = 30.0


class StateSource:
    def __init__(self, paths: StatePaths) -> None:
        self.paths = paths
        self._store: Store | None = None
        self._fetched: dict[str, Path] = {}
        self._errors: dict[str, str] = {}
        self._failed_at: dict[str, float] = {}  # a model that failed to fetch is retried after RETRY_FETCH_S
        self._lock = threading.Lock()
        self._local = threading.local()
        self._stop = threading.Event()
        self._listener: threading.Thread | None = None

    def _open(self) -> Store:
        from nerspec.state import open_store

        if not self.paths.shared:  # SQLite connections stay in their thread: one per thread, opened once
            local: Store | None = getattr(self._local, "store", None)
            if local is None:
                local = self._local.store = open_store(self.paths, create=False)
            return local
        if self._store is None:
            self._store = open_store(self.paths)
        return self._store

    def _served(self, record: DeploymentRecord) -> bool:
        from nerspec.deploy.targets import served_here

        return served_here(record)

    def __call__(self) -> dict[tuple[str, str], bytes]:
        if not self.paths.shared and not self.paths.db.is_file():
            return {}
        with self._lock:
            try:
                store = self._open()
                records = [r for r in store.all_deployments() if self._served(r)]
                out = {(r.project, r.deployment): self._pointer(store, r) for r in records}
            except Exception as exc:  # an unreachable database: keep serving what is loaded, retry next poll
                log.warning("cannot read the deployments from %s: %s", self.paths.describe(), exc)
                self.close()
                raise
            return out

    def _pointer(self, store: Store, record: DeploymentRecord) -> bytes:
        fp = record.fingerprint
        from nerspec.deploy.targets import target_type

        pointer: dict[str, object] = {"project": record.project, "deployment": record.deployment, "fingerprint": fp,
                                   "deployed_at": record.deployed_at, "source": "state",
                                   "target": target_type(record.target)}
        failed_at = self._failed_at.get(fp)
        if fp not in self._fetched and (failed_at is None or time.monotonic() - failed_at > RETRY_FETCH_S):
            try:
                self._fetched[fp] = self._fetch(store, fp)
                self._errors.pop(fp, None)
                self._failed_at.pop(fp, None)
            except Exception as exc:  # damaged or missing in the store: never served, reported on /readyz
                self._errors[fp] = str(exc)
                self._failed_at[fp] = time.monotonic()
        if fp in self._fetched:
            pointer["model_dir"] = str(self._fetched[fp])
        else:
            pointer["error"] = self._errors.get(fp, "model not available")
        return json.dumps(pointer, sort_keys=True).encode()

    def _fetch(self, store: Store, fingerprint: str) -> Path:
        from nerspec.deploy.targets import TargetContext

        return TargetContext(self.paths, store).local_model(fingerprint)

    def listen(self, on_change: Callable[[], None]) -> None:
        """Where the state store announces changes (``Store.listen``; PostgreSQL: LISTEN/NOTIFY), call ``on_change``
        (the registry's scan) as soon as a deployment changes, so a swap does not wait for the next poll; polling
        stays as the fallback. A store that announces nothing (SQLite) is only polled."""
        from nerspec.state import store_type

        if self._listener is not None or not store_type(self.paths).announces_changes:
            return
        self._stop.clear()
        self._listener = threading.Thread(target=self._listen, args=(on_change,), name="nerspec-state-listener",
                                          daemon=True)
        self._listener.start()

    def _listen(self, on_change: Callable[[], None]) -> None:
        while not self._stop.is_set():
            try:
                with self._lock:
                    store = self._open()
            except Exception as exc:  # unreachable for now: polling keeps trying too
                log.warning("cannot listen to %s yet: %s", self.paths.describe(), exc)
                self._stop.wait(5.0)
                continue
            store.listen(on_change, self._stop)  # its own connection, until stop is set
            return

    def stop(self) -> None:
        self._stop.set()
        if self._listener is not None:
            self._listener.join(timeout=10)
            self._listener = None
        self.close()

    def close(self) -> None:
        self._local.store = None
        if self._store is not None:
            try:
                self._store.close()
            except Exception:
                pass
            self._store = None
