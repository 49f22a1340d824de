"""The local artifact store: a directory of ``<fingerprint>/`` artifacts (the default: ``<state>/models``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nerspec import artifacts
from nerspec.errors import ModelNotFoundError


class LocalArtifactStore:
    remote = False

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def location(self, fingerprint: str) -> str:
        return str(self.root / fingerprint)

    def exists(self, fingerprint: str) -> bool:
        return artifacts.is_complete(self.root / fingerprint)

    def intact(self, fingerprint: str, recorded: dict[str, str], cache: Any) -> bool:
        return artifacts.intact(self.root / fingerprint, recorded, cache)

    def publish(self, fingerprint: str, local: Path, files: dict[str, str]) -> None:
        if Path(local).resolve() != (self.root / fingerprint).resolve():
            import shutil

            from nerspec import atomic

            final = self.root / fingerprint
            if not artifacts.is_complete(final):
                with atomic.staged_dir(final) as staged:
                    shutil.copytree(local, staged, dirs_exist_ok=True)

    def fetch(self, fingerprint: str, recorded: dict[str, str], cache: Any) -> Path:
        path = self.root / fingerprint
        if not artifacts.is_complete(path):
            raise ModelNotFoundError(f"model {fingerprint[:12]} is missing from {self.root}")
        return path

    def verify(self, fingerprint: str, recorded: dict[str, str]) -> list[str]:
        """The recorded files that are missing or differ, read in full (no stat cache)."""
        from nerspec.safeio import sha256_file

        bad = []
        for rel, sha in sorted(recorded.items()):
            path = self.root / fingerprint / rel
            if not path.is_file() or sha256_file(path) != sha:
                bad.append(rel)
        return bad if artifacts.is_complete(self.root / fingerprint) else ["meta.json", *bad]

    def read_file(self, fingerprint: str, rel: str) -> bytes | None:
        try:
            return (self.root / fingerprint / rel).read_bytes()
        except OSError:
            return None

    def list_fingerprints(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if not p.name.startswith(".") and artifacts.is_complete(p))
