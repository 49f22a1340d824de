"""``known_local_root`` (what plan's cached verdict uses before pydantic is imported) agrees with ``state_paths``,
and defers to it whenever the settings file could change the answer."""

from __future__ import annotations

from pathlib import Path

import pytest

from nerspec.paths import LOCAL_ENV, STATE_ENV, StatePaths, known_local_root, state_paths


def test_known_local_root_agrees_with_state_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "sub").mkdir()
    monkeypatch.chdir(repo / "sub")
    monkeypatch.delenv(STATE_ENV, raising=False)
    monkeypatch.delenv(LOCAL_ENV, raising=False)
    for state, env in [(None, None), ("here", None), (None, "elsewhere"), (None, "postgresql://u@h/db")]:
        if env is None:
            monkeypatch.delenv(STATE_ENV, raising=False)
        else:
            monkeypatch.setenv(STATE_ENV, env)
        assert known_local_root(state) == state_paths(state).root, (state, env)
    monkeypatch.setenv(LOCAL_ENV, str(tmp_path / "local"))
    assert known_local_root() == state_paths().root == tmp_path / "local"
    monkeypatch.delenv(STATE_ENV)
    (repo / "nerspec.settings.yaml").write_text("apiVersion: nerspec/v1\nkind: Settings\nstate: shared/state\n")
    assert known_local_root() is None and state_paths().root == repo / "shared" / "state"


def test_only_a_shared_state_with_local_models_is_warned_about(tmp_path: Path) -> None:
    url = "postgresql://nerspec:secret@db.example/nerspec"
    warning = StatePaths(tmp_path, state_url=url).local_models_warning()
    assert warning and "postgresql://nerspec:***@db.example/nerspec" in warning and "secret" not in warning
    assert str(tmp_path / "models") in warning
    assert StatePaths(tmp_path, state_url=url, artifacts_url="s3://bucket/models").local_models_warning() is None
    assert StatePaths(tmp_path).local_models_warning() is None  # SQLite: the models sit beside the state
    assert StatePaths(tmp_path, artifacts_url=str(tmp_path / "m")).local_models_warning() is None
