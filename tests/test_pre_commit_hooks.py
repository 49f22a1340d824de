"""The pre-commit hooks (.pre-commit-hooks.yaml), run by `pre-commit try-repo` on a throwaway repository: a broken
manifest fails the commit, a good one passes, and nothing is downloaded (`language: system`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_the_hooks_need_no_network() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert {h["id"] for h in hooks} == {"nerspec-validate", "nerspec-schema"}
    # `system` runs the installed nerspec; any other language would build an environment from the network.
    assert {h["language"] for h in hooks} == {"system"}


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    from tests.tiny import TinyProject, make_docs, manifest

    (tmp_path / "repo").mkdir()
    project = TinyProject(tmp_path / "repo")
    project.write_manifest(manifest())
    project.write_docs(make_docs(24))
    (tmp_path / "repo" / "README.md").write_text("models\n")
    _git(tmp_path / "repo", "init", "-q")
    _git(tmp_path / "repo", "add", ".")
    return tmp_path / "repo"


def _try_repo(repo: Path, hook: str, *files: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        # The hooks run the nerspec of this environment; pre-commit keeps its cache in the test's folder.
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "PRE_COMMIT_HOME": str(repo.parent / "pre-commit-home"),
        "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org",
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), hook, "--files", *files],
                          cwd=repo, env=env, capture_output=True, text=True, timeout=300)


def test_validate_passes_a_good_project_and_fails_a_broken_manifest(repo: Path) -> None:
    good = _try_repo(repo, "nerspec-validate", "projects/tiny/data/docs.jsonl", "README.md")
    assert good.returncode == 0, good.stdout + good.stderr
    assert "Passed" in good.stdout

    manifest = repo / "projects" / "tiny" / "nerspec.yaml"
    manifest.write_text(manifest.read_text().replace("kind: NERProject", "kind: NERProjekt"))
    _git(repo, "add", ".")
    broken = _try_repo(repo, "nerspec-validate", "projects/tiny/nerspec.yaml")
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert "Failed" in broken.stdout and "projects/tiny/nerspec.yaml:" in broken.stdout


def test_validate_skips_files_outside_projects(repo: Path) -> None:
    done = _try_repo(repo, "nerspec-validate", "README.md")
    assert done.returncode == 0 and "no files to check" in done.stdout.lower(), done.stdout


def test_the_schema_check_passes_on_a_current_schema(repo: Path) -> None:
    import shutil

    shutil.copytree(ROOT / "schemas", repo / "schemas")
    _git(repo, "add", ".")
    current = _try_repo(repo, "nerspec-schema", "schemas/nerspec.v1.schema.json")
    assert current.returncode == 0, current.stdout + current.stderr
    stale = repo / "schemas" / "nerspec.v1.schema.json"
    stale.write_text(stale.read_text().replace('"NERProject"', '"NERProjectOld"', 1))
    _git(repo, "add", ".")
    failed = _try_repo(repo, "nerspec-schema", "schemas/nerspec.v1.schema.json")
    assert failed.returncode == 1, failed.stdout + failed.stderr
