"""What the deployment targets work with: the state paths, the store, this machine's model cache and the
artifact store (opened once per context), and one integrity check per model per context."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from nerspec.paths import StatePaths

if TYPE_CHECKING:
    from nerspec.artifacts.stores.base import ArtifactStore
    from nerspec.fingerprints.stat_cache import StatCache
    from nerspec.state.store import Store


@dataclass
class TargetContext:
    paths: StatePaths
    store: Store
    cache: StatCache | None = None
    _artifact_store: ArtifactStore | None = field(default=None, repr=False)
    _damaged: dict[str, bool] = field(default_factory=dict, repr=False)  # one check per model per context

    @property
    def artifact_store(self) -> ArtifactStore:
        if self._artifact_store is None:
            from nerspec.artifacts.stores import open_artifact_store

            self._artifact_store = open_artifact_store(self.paths)
        return self._artifact_store

    def stat_cache(self) -> StatCache:
        if self.cache is None:
            from nerspec.fingerprints.stat_cache import StatCache

            self.cache = StatCache(self.paths.cache, scope="artifacts")
        return self.cache

    def local_model(self, fingerprint: str) -> Path:
        """The model's verified local directory (downloaded from a remote artifact store when needed)."""
        from nerspec.deploy import local

        record = self.store.get_model(fingerprint)
        if self.artifact_store.remote and record is not None:
            return self.artifact_store.fetch(fingerprint, record.artifact_files, self.stat_cache())
        return local.artifact_dir(self.paths, fingerprint)

    def model_damaged(self, fingerprint: str) -> bool:
        """The recorded model's files are missing or differ from the recorded hashes (here or in the store)."""
        if fingerprint not in self._damaged:
            self._damaged[fingerprint] = self._check_damaged(fingerprint)
        return self._damaged[fingerprint]

    def forget_checks(self, fingerprint: str) -> None:
        """The model was (re)written: check it again next time."""
        self._damaged.pop(fingerprint, None)

    def _check_damaged(self, fingerprint: str) -> bool:
        from nerspec.artifacts import layout

        record = self.store.get_model(fingerprint)
        if record is None:
            return True
        if "://" in record.model_dir:
            return not self.artifact_store.intact(fingerprint, record.artifact_files, self.stat_cache())
        return not layout.intact(layout.local_dir(self.paths, fingerprint, record.model_dir),
                                    record.artifact_files, self.stat_cache())
