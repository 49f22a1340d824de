"""The nerspec workflow with a shared backend: state and credentials from secrets, no Actions cache, least privilege."""

from __future__ import annotations

from pathlib import Path

import yaml

WORKFLOW = Path(__file__).resolve().parents[2] / ".github" / "workflows" / "nerspec.yml"
ACTION_STEPS = yaml.safe_load((WORKFLOW.parents[2] / "action.yml").read_text())["runs"]["steps"]


def test_backend_from_secrets_and_cache_only_as_fallback() -> None:
    wf = yaml.safe_load(WORKFLOW.read_text())
    env = wf["env"]
    assert env["NERSPEC_STATE"] == "${{ secrets.NERSPEC_STATE_URL || '.nerspec' }}"
    assert env["NERSPEC_ARTIFACTS"] == "${{ secrets.NERSPEC_ARTIFACTS_URL }}"
    assert all(env[k].startswith("${{ secrets.") for k in ("PGPASSWORD", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"))
    assert wf["permissions"] == {"contents": "read", "pull-requests": "write"}
    for job in wf["jobs"].values():
        for step in job["steps"]:
            uses = str(step.get("uses", ""))
            if uses.startswith("actions/cache/") or step.get("id") == "models-key":
                assert "env.NERSPEC_SHARED != 'true'" in step["if"], step["name"]
        local_action = [s for s in job["steps"] if s.get("uses") == "./"]  # the repository's action installs
        installs = [s for s in job["steps"] + (ACTION_STEPS if local_action else []) if "pip install" in str(s.get("run", ""))]
        assert installs and all("[team]" in s["run"] for s in installs)
    def command(step: dict) -> str:  # a run step's script, or the command the repository's action runs
        return str(step.get("run", "")) or "nerspec " + str((step.get("with") or {}).get("command", ""))

    runs = {job: "\n".join(command(s) for s in wf["jobs"][job]["steps"]) for job in wf["jobs"]}
    assert "nerspec apply --no-deploy" in runs["pull-request"]
    assert any("nerspec apply" in r and "--no-deploy" not in r for r in runs.values())
