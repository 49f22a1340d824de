"""Repository settings (nerspec.settings.yaml): located errors, no secrets, precedence flags > env > file > default."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from nerspec import paths as paths_module
from nerspec.cli import cli
from nerspec.errors import ManifestError
from nerspec.paths import state_paths
from nerspec.settings import SCHEMA_FILE, load_settings, render_schema


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    for variable in ("NERSPEC_STATE", "NERSPEC_ARTIFACTS", "NERSPEC_LOCAL_DIR"):
        monkeypatch.delenv(variable, raising=False)
    return tmp_path


def test_committed_settings_schema_is_fresh() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == render_schema(), "run `nerspec schema` and commit schemas/"


def test_errors_point_at_their_lines_all_at_once(repo: Path) -> None:
    (repo / "nerspec.settings.yaml").write_text(
        "apiVersion: nerspec/v1\nkind: Settings\nstate: postgresql://ci:hunter2@db:5432/nerspec\nartifact: s3://b\n")
    with pytest.raises(ManifestError) as info:
        load_settings(repo / "nerspec.settings.yaml")
    lines = str(info.value).splitlines()
    assert lines[0].startswith("nerspec.settings.yaml:3:8: state: a password in the URL")
    assert lines[1].startswith("nerspec.settings.yaml:4:1: artifact: unknown key `artifact`")
    result = CliRunner().invoke(cli, ["force-unlock", "abc"])  # any command that resolves the state
    assert result.exit_code == 1 and "nerspec.settings.yaml:3:8" in result.output and "Traceback" not in result.output


def test_precedence_flag_env_file_default(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert state_paths() .root == repo / ".nerspec" and state_paths().artifacts_url is None
    (repo / "nerspec.settings.yaml").write_text("state: postgresql://nerspec@db/nerspec\nartifacts: s3://file/p\n")
    from_file = state_paths()
    assert from_file.state_url == "postgresql://nerspec@db/nerspec" and from_file.artifacts_url == "s3://file/p"
    assert from_file.root == repo / ".nerspec"  # the local working directory stays
    monkeypatch.setenv("NERSPEC_STATE", "postgresql://nerspec@env/nerspec")
    monkeypatch.setenv("NERSPEC_ARTIFACTS", "s3://env/p")
    assert state_paths().state_url.endswith("@env/nerspec") and state_paths().artifacts_url == "s3://env/p"
    flagged = paths_module.StateChoice("other-dir", "s3://flag/p").resolve()  # the command line's flags
    assert flagged.state_url is None and flagged.root == repo / "other-dir" and flagged.artifacts_url == "s3://flag/p"


def test_a_relative_directory_in_the_file_is_relative_to_the_repository(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (repo / "nerspec.settings.yaml").write_text("state: shared/state\nartifacts: shared/models\n")
    (repo / "sub").mkdir()
    monkeypatch.chdir(repo / "sub")
    paths = state_paths()
    assert paths.root == repo / "shared/state" and paths.models == repo / "shared/models"
