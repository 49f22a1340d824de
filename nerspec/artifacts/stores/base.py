"""The artifact-store protocol: where complete, immutable, content-addressed model artifacts live.

Every store keeps a local, verified copy under ``paths.models/<fingerprint>/`` (the local store *is* that
directory); a remote store adds ``publish`` (upload so that a reader never sees half a model) and ``fetch``
(download into the local cache, verified against the recorded hashes). Adding Azure Blob or GCS is one module
implementing this protocol plus a line in ``nerspec.artifacts.stores.SCHEMES``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from nerspec.fingerprints.stat_cache import StatCache


@dataclass(frozen=True)
class StoredModel:
    """What ``nerspec gc`` needs to know of a stored model before removing it."""

    fingerprint: str
    size: int  # bytes
    age: float  # seconds since it was stored
    project: str | None  # from its meta.json; None when unreadable


class ArtifactStore(Protocol):
    remote: bool  # False: the local directory is the store

    def location(self, fingerprint: str) -> str:
        """What the state records as the model's ``model_dir``."""
        ...

    def exists(self, fingerprint: str) -> bool:
        """A complete model is visible in the store (remote: its manifest exists)."""
        ...

    def intact(self, fingerprint: str, recorded: dict[str, str], cache: StatCache) -> bool:
        """The stored files still match the hashes recorded when the model was stored (plan's drift check)."""
        ...

    def publish(self, fingerprint: str, local: Path, files: dict[str, str]) -> None:
        """Make the complete local artifact visible in the store (no-op for the local store)."""
        ...

    def fetch(self, fingerprint: str, recorded: dict[str, str], cache: StatCache) -> Path:
        """A local directory with the model, verified against ``recorded``; raises ``ModelNotFoundError``."""
        ...

    def verify(self, fingerprint: str, recorded: dict[str, str]) -> list[str]:
        """Read every recorded file back in full; the ones missing or not matching their sha256."""
        ...

    def read_file(self, fingerprint: str, rel: str) -> bytes | None:
        """One small file of a stored model (meta.json, evaluation.json) without fetching the whole model."""
        ...

    def list_fingerprints(self) -> list[str]: ...

    # -- nerspec gc: crash-safe removal, called under the state lock ----------------------------------
    def stored(self) -> list[str]:
        """Every fingerprint with files in the store, complete or not (a damaged copy is a model too)."""
        ...

    def describe(self, fingerprint: str) -> StoredModel: ...

    def mark_removal(self, fingerprint: str, project: str | None) -> None:
        """Note that gc is about to remove this model, before the state forgets it: a gc killed after forgetting
        and before ``remove`` leaves a marked model the next gc finishes (not an unrecorded artifact it keeps)."""
        ...

    def remove(self, fingerprint: str, project: str | None) -> None:
        """Make the model disappear for every reader in one step, then delete its files. A kill in between
        leaves a marked leftover that ``finish_removals`` completes; never half a model that looks whole."""
        ...

    def interrupted_removals(self) -> dict[str, str | None]:
        """Fingerprint -> project of the removals a killed gc left unfinished."""
        ...

    def finish_removal(self, fingerprint: str) -> None: ...
