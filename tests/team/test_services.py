"""tools/team/services.sh and the README's team section, run as pasted: PostgreSQL from Debian's packages and
moto's S3 server started by the script, a working copy planning against them, both stopped again.
(tools/team/compose.yaml needs a container runtime, which the test machines do not have: it is not run here.)"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.services import free_port
from tests.team.checkouts import ROOT, environment

pytestmark = pytest.mark.slow
HEADING = "### Running the two services"


def readme_block() -> str:
    text = (ROOT / "README.md").read_text()
    section = text[text.index(HEADING):]
    match = re.search(r"```sh\n(.*?)```", section, re.S)
    assert match, "the README's team section has no sh block"
    return match.group(1)


def test_the_readme_team_section_runs_as_pasted(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    shutil.copytree(ROOT / "tools" / "team", repo / "tools" / "team")
    shutil.copytree(ROOT / "projects" / "support-tickets", repo / "projects" / "support-tickets")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "nerspec").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m nerspec "$@"\n')
    (bin_dir / "nerspec").chmod(0o755)
    env = environment(PGPORT=str(free_port()), S3PORT=str(free_port()), PYTHON=sys.executable)
    env["PATH"] = f"{bin_dir}:{Path(sys.executable).parent}:{env['PATH']}"
    for key in [k for k in env if k.startswith("AWS_")]:
        del env[key]
    block = readme_block()
    try:
        done = subprocess.run(["bash", "-eo", "pipefail", "-c", block], cwd=repo, env=env, text=True,
                              capture_output=True, timeout=600)
    finally:
        subprocess.run(["bash", str(repo / "tools/team/services.sh"), "stop", str(repo / ".team")], env=env,
                       capture_output=True, timeout=120)
        elsewhere = repo / ".team" / "pg.path"  # as root, PostgreSQL's files live where its user can reach them
        if elsewhere.is_file():
            shutil.rmtree(elsewhere.read_text().strip(), ignore_errors=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "PostgreSQL on 127.0.0.1:" in done.stdout and "+ train" in done.stdout  # planned against the state
    assert "support-tickets" in done.stdout and "stopped" in done.stdout
    env_sh = (repo / ".team" / "env.sh").read_text()
    assert "NERSPEC_STATE=postgresql://nerspec@127.0.0.1:" in env_sh and "NERSPEC_ARTIFACTS=s3://" in env_sh
