"""One exception root and the exit codes the CLI maps them to.

Core code raises these; only ``nerspec.cli`` turns them into messages and exit codes.
"""

from __future__ import annotations

from dataclasses import dataclass

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES_PENDING = 2
EXIT_GATE_FAILED = 3
EXIT_INTERNAL = 70
EXIT_INTERRUPTED = 130


class NerspecError(Exception):
    """A user-facing error: the message is shown without a traceback."""

    exit_code = EXIT_ERROR


@dataclass(frozen=True, order=True)
class Problem:
    """One located problem in a user's file: ``file:line:col: where: message``."""

    file: str
    line: int
    col: int
    where: str
    message: str

    def __str__(self) -> str:
        prefix = f"{self.file}:{self.line}:{self.col}" if self.line else self.file
        return f"{prefix}: {self.where}: {self.message}" if self.where else f"{prefix}: {self.message}"


class ProblemsError(NerspecError):
    """Many located problems reported at once (all errors of a file, sorted by line)."""

    def __init__(self, problems: list[Problem], summary: str = "") -> None:
        self.problems = sorted(problems)
        self.summary = summary
        super().__init__("\n".join(str(p) for p in self.problems) or summary)


class ManifestError(ProblemsError):
    """The manifest YAML is malformed or does not satisfy the schema or cross-field rules."""


class DataError(ProblemsError):
    """Labeled data is unreadable or breaks a blocking check."""


class StateError(NerspecError):
    """Recorded state is missing, stale or inconsistent."""


class LockError(StateError):
    """Another operation holds the state lock."""


class StalePlanError(StateError):
    """A saved plan no longer matches the state or the inputs."""


class TrainingError(NerspecError):
    """Training could not start or failed."""


class ModelNotFoundError(NerspecError):
    """No model or deployment matches what was asked for."""


class DeployError(NerspecError):
    """A deployment could not be switched, uploaded or rolled back."""


class RemoteError(NerspecError):
    """An external service (GitHub, a remote nerspec server) refused or failed."""


class GateFailed(NerspecError):
    """A quality gate failed; nothing was deployed."""

    exit_code = EXIT_GATE_FAILED
