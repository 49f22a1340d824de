"""The artifact-store protocol: where complete, immutable, content-addressed model artifacts live.

Every store keeps a local, verified copy under ``paths.models/<fingerprint>/`` (the local store *is* that
directory); a remote store adds ``publish`` (upload so that a reader never sees half a model) and ``fetch``
(download into the local cache, verified against the recorded hashes). Adding Azure Blob or GCS is one module
implementing this protocol plus a line in ``nerspec.artifact_stores.SCHEMES``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol


class ArtifactStore(Protocol):
    remote: bool  # False: the local directory is the store

    def location(self, fingerprint: str) -> str:
        """What the state records as the model's ``model_dir``."""
        ...

    def exists(self, fingerprint: str) -> bool:
        """A complete model is visible in the store (remote: its manifest exists)."""
        ...

    def intact(self, fingerprint: str, recorded: dict[str, str], cache: Any) -> bool:
        """The stored files still match the hashes recorded when the model was stored (plan's drift check)."""
        ...

    def publish(self, fingerprint: str, local: Path, files: dict[str, str]) -> None:
        """Make the complete local artifact visible in the store (no-op for the local store)."""
        ...

    def fetch(self, fingerprint: str, recorded: dict[str, str], cache: Any) -> Path:
        """A local directory with the model, verified against ``recorded``; raises ``ModelNotFoundError``."""
        ...

    def verify(self, fingerprint: str, recorded: dict[str, str]) -> list[str]:
        """Read every recorded file back in full; the ones missing or not matching their sha256."""
        ...

    def read_file(self, fingerprint: str, rel: str) -> bytes | None:
        """One small file of a stored model (meta.json, evaluation.json) without fetching the whole model."""
        ...

    def list_fingerprints(self) -> list[str]: ...
