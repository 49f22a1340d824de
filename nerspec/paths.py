"""Where recorded state and artifacts live.

The state is a directory (SQLite, default ``.nerspec/`` at the repository root: the nearest ancestor with
``.git``, else the working directory) or a ``postgresql://`` URL; the artifact store is a directory (default:
``<state dir>/models``) or an ``s3://`` URL. Each comes from (highest first) ``--state`` / ``--artifacts``,
``NERSPEC_STATE`` / ``NERSPEC_ARTIFACTS``, the repository's ``nerspec.settings.yaml``, the default.

With a URL state the local directory ``root`` still exists: it holds the stat cache, reports, local pointers
and the verified local copies of artifacts (``models/``), never the shared truth.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

STATE_ENV = "NERSPEC_STATE"
ARTIFACTS_ENV = "NERSPEC_ARTIFACTS"
LOCAL_ENV = "NERSPEC_LOCAL_DIR"  # the local working directory when the state is a URL
SETTINGS_NAME = "nerspec.settings.yaml"  # at the repository root (``nerspec.settings``)


def is_url(value: str | None) -> bool:
    return bool(value) and "://" in str(value)


@dataclass(frozen=True)
class StatePaths:
    root: Path
    state_url: str | None = None  # postgresql://... (None: SQLite in ``root``)
    artifacts_url: str | None = None  # s3://... or a directory (None: ``root/models``)

    @property
    def db(self) -> Path:
        return self.root / "state.db"

    @property
    def models(self) -> Path:
        """Content-addressed local artifacts ``models/<fingerprint>/`` (with an object store: its verified cache)."""
        if self.artifacts_url and not is_url(self.artifacts_url):
            return Path(self.artifacts_url)
        return self.root / "models"

    @property
    def registry(self) -> Path:
        """Local deployments: ``registry/<project>/<deployment>.json`` pointer files."""
        return self.root / "registry"

    @property
    def cache(self) -> Path:
        """Stat cache, downloaded URL sources and other rebuildable files."""
        return self.root / "cache"

    @property
    def sources(self) -> Path:
        """Where URL sources are downloaded, by apply and plan as by the data and label commands (one copy)."""
        return self.cache / "sources"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def shared(self) -> bool:
        """The state lives in a server other machines share (not a SQLite file in ``root``)."""
        return self.state_url is not None

    def describe(self) -> str:
        return self.state_url and _redact(self.state_url) or str(self.root)

    def local_models_warning(self) -> str | None:
        """Why a shared state whose models go to a local directory deserves a warning; None when it does not.

        The state records a model for every machine, but its files stay on this one: elsewhere the model is
        missing, so serve and predict refuse it and plan shows it as damaged. Only a warning, because the
        directory may itself be shared storage (an NFS mount) that nerspec cannot tell from a local disk."""
        if not self.shared or is_url(self.artifacts_url):
            return None
        return (f"the state is shared ({self.describe()}) but models are written to the local directory "
                f"{self.models}: other machines will find them missing. Set `artifacts: s3://...` in "
                f"nerspec.settings.yaml (or {ARTIFACTS_ENV}) unless that directory is shared storage")


def _redact(url: str) -> str:
    from nerspec.redact import redact_url

    return redact_url(url)


def repository_root(start: Path | None = None) -> Path:
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / ".git").exists():
            return candidate
    return Path.cwd().resolve()


@dataclass(frozen=True)
class StateChoice:
    """The state and artifact store a command line named (``--state``, ``--artifacts``; None: the environment,
    then ``nerspec.settings.yaml``, then the default). Commands resolve it once (``resolve``) and hand the
    ``StatePaths`` down; the library entry points that find a project's deployment resolve it from the project's
    directory instead."""

    state: str | None = None
    artifacts: str | None = None

    def resolve(self, start: Path | None = None) -> StatePaths:
        return state_paths(self.state, start, self.artifacts)


# What the public entry points (``nerspec.load``, ``nerspec.extract``, ``nerspec serve``) accept as the state.
StateArg = str | Path | StateChoice | None


def state_paths(state: StateArg = None, start: Path | None = None, artifacts: str | None = None) -> StatePaths:
    """Flags > ``NERSPEC_STATE``/``NERSPEC_ARTIFACTS`` > the repository's ``nerspec.settings.yaml`` > ``.nerspec/``."""
    from nerspec.settings import repository_settings

    if isinstance(state, StateChoice):
        artifacts = artifacts or state.artifacts
        state = state.state

    repo = repository_root(start)
    settings = None
    chosen = state or os.environ.get(STATE_ENV)
    if not chosen:
        settings = repository_settings(repo / SETTINGS_NAME)
        chosen = settings.state
    store = artifacts or os.environ.get(ARTIFACTS_ENV)
    if not store:
        settings = settings or repository_settings(repo / SETTINGS_NAME)
        store = settings.artifacts
        if store and not is_url(store):
            store = str((repo / store).resolve())
    elif not is_url(store):
        store = str(Path(store).resolve())
    from_settings = settings is not None and not state and not os.environ.get(STATE_ENV)
    root = _local_root(str(chosen) if chosen else None, repo, from_settings)
    if chosen and is_url(str(chosen)):
        return StatePaths(root, state_url=str(chosen), artifacts_url=store)
    return StatePaths(root, artifacts_url=store)


def _local_root(chosen: str | None, repo: Path, from_settings: bool) -> Path:
    """The local state directory: a URL state's working directory, a directory state (relative to the repository
    when the settings file named it, else to the working directory), or the default."""
    if chosen and is_url(chosen):
        local = os.environ.get(LOCAL_ENV)
        return Path(local).resolve() if local else repo / ".nerspec"
    if chosen:
        return ((repo if from_settings else Path.cwd()) / Path(chosen)).resolve()
    return repo / ".nerspec"


def known_local_root(state: str | Path | None = None, start: Path | None = None) -> Path | None:
    """``state_paths(state).root`` when it is known without reading the settings file (whose reader imports
    pydantic); None when only that file can tell."""
    repo = repository_root(start)
    chosen = state or os.environ.get(STATE_ENV)
    if not chosen and (repo / SETTINGS_NAME).exists():
        return None
    return _local_root(str(chosen) if chosen else None, repo, from_settings=False)
