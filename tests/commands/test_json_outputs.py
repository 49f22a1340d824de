"""`--json` on every command that changes or reads something, in the shapes docs/json.md documents."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from nerspec.cli import cli
from tests.test_cli_mistakes import leaf_commands

# Commands without --json, and why.
NO_JSON = {
    ("serve",): "a server: it answers HTTP, it prints no result",
    ("report",): "`--format json` writes the run result as JSON",
    ("schema",): "its output is JSON Schema already",
}


def test_every_command_has_json_or_a_reason() -> None:
    missing = [" ".join(path) for path, command in leaf_commands()
               if path not in NO_JSON and not any(p.name == "as_json" for p in command.params)]
    assert missing == [], f"commands without --json (add it, or a reason to NO_JSON): {missing}"


def _json(argv: list[str], state: Path) -> Any:
    result = CliRunner().invoke(cli, [*argv, "--json"], env={"NERSPEC_STATE": str(state)})
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_rollback_swap_gc_export_and_clone_print_their_results(tiny: Any, state: Any, run_apply: Any) -> None:
    from tests.tiny import make_docs, manifest

    tiny.write_manifest(manifest(deployments=[{"name": "production"}, {"name": "staging"}]))
    run_apply()
    first = _json(["deployments", "list", "projects/tiny"], state.root)[0]["fingerprint"]
    tiny.write_docs(make_docs(30))
    run_apply()
    rolled = _json(["rollback", "projects/tiny", "production"], state.root)
    assert rolled["project"] == "tiny" and rolled["deployment"] == "production" and rolled["to"] == first
    assert rolled["from"] != first
    swapped = _json(["swap", "projects/tiny", "production", "staging"], state.root)
    assert swapped == {"project": "tiny", "deployments": {"production": rolled["from"], "staging": first}}
    collected = _json(["gc", "--dry-run", "--keep", "0"], state.root)
    assert collected["dry_run"] is True and isinstance(collected["removed"], list)
    assert set(collected) == {"dry_run", "removed", "freed_bytes", "kept", "expired_monitoring_documents"}
    assert first in collected["kept"] and collected["expired_monitoring_documents"] == 0
    exported = _json(["export", "projects/tiny", "--format", "jsonl", "-o", "out"], state.root)
    assert exported == [{"project": "tiny", "format": "jsonl", "documents": 30, "path": exported[0]["path"]}]
    cloned = _json(["clone", "projects/tiny", "projects/tiny2", "--name", "tiny2"], state.root)
    assert cloned["project"] == "tiny2" and Path(cloned["manifest"]).is_file()


def test_state_commands_print_their_results(tiny: Any, state: Any, run_apply: Any, tmp_path: Path) -> None:
    from nerspec.state import lock

    run_apply()
    backed_up = _json(["state", "backup", str(tmp_path / "backup.db")], state.root)
    assert backed_up == {"file": str(tmp_path / "backup.db"), "bytes": (tmp_path / "backup.db").stat().st_size}
    restored = _json(["state", "restore", str(tmp_path / "backup.db")], state.root)
    assert restored["file"] == str(tmp_path / "backup.db") and restored["previous"]
    recovered = _json(["state", "recover", "--force"], state.root)
    assert recovered["models"] == 1 and recovered["deployments"] == 1 and recovered["database"] == str(state.db)
    migrated = _json(["state", "migrate", "--to", str(tmp_path / "elsewhere"), "--quiet"], state.root)
    assert migrated["models_copied"] == 1 and migrated["projects_copied"] == ["tiny"]
    held = lock.acquire(state.root, "apply (a test)", 0.0)
    unlocked = _json(["force-unlock", held.id, "--force"], state.root)
    assert unlocked["removed"]["id"] == held.id and unlocked["removed"]["operation"] == "apply (a test)"


@pytest.mark.parametrize("argv", [["gc", "--dry-run"], ["state", "recover", "--force"]])
def test_json_output_is_json_only(argv: list[str], tiny: Any, state: Any, run_apply: Any) -> None:
    run_apply()
    result = CliRunner().invoke(cli, [*argv, "--json"], env={"NERSPEC_STATE": str(state.root)})
    json.loads(result.stdout)  # nothing but the JSON document on stdout
