"""The reconciler's commands through click, with the fake run parts installed by the test-only launcher's hooks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from nerspec.cli import cli
from tests.launch import install_parts
from tests.tiny import make_docs, manifest

ROOT = Path(__file__).resolve().parents[2]
FAKES = {
    "NERSPEC_TEST_TRAINER": "tests.fakes:train",
    "NERSPEC_TEST_EVALUATOR": "tests.fakes:evaluate",
    "NERSPEC_TEST_LOAD_CORPUS": "tests.fakes:load_corpus",
    "NERSPEC_TEST_SPLIT": "tests.fakes:split_corpus",
}


@pytest.fixture
def nerspec(tiny: Any, state: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    install_parts(FAKES, monkeypatch.setattr)
    monkeypatch.setenv("NERSPEC_STATE", str(state.root))

    def run(*args: str) -> Any:
        return CliRunner().invoke(cli, list(args), catch_exceptions=False)

    return run


def test_plan_exit_codes_and_json(nerspec: Any, tiny: Any) -> None:
    first = nerspec("plan", str(tiny.dir), "--detailed-exitcode")
    assert first.exit_code == 2, first.output
    assert "+ train" in first.output and "~ deploy" in first.output and "Plan: 1 to train" in first.output
    data = json.loads(nerspec("plan", str(tiny.dir), "--json").output)
    assert data["changes"] is True and data["projects"][0]["name"] == "tiny"
    assert [a["type"] for a in data["projects"][0]["actions"]] == ["train", "deploy"]
    applied = nerspec("apply", str(tiny.dir))
    assert applied.exit_code == 0, applied.output
    assert "deployed production" in applied.output
    assert nerspec("plan", str(tiny.dir), "--detailed-exitcode").exit_code == 0


def test_saved_plan_apply_and_stale_refusal(nerspec: Any, tiny: Any, tmp_path: Path) -> None:
    saved = tmp_path / "plan.json"
    assert nerspec("plan", str(tiny.dir), "-o", str(saved)).exit_code == 0
    tiny.write_docs(make_docs(25))
    stale = nerspec("apply", str(saved))
    assert stale.exit_code == 1 and "saved plan is stale" in stale.output
    assert nerspec("plan", str(tiny.dir), "-o", str(saved)).exit_code == 0
    ok = nerspec("apply", str(saved), "--json")
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["projects"][0]["deploy"]["deployed"]



@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda plan: plan["projects"][0]["actions"][1].update(deployment="ghost"), "the file was edited"),
        (lambda plan: plan["projects"][0]["actions"][1].update(type="repair"), "the file was edited"),
        (lambda plan: plan["projects"][0]["actions"].pop(0), "the file was edited"),
        (lambda plan: plan.update(paths=None), "the saved plan is malformed"),
        (lambda plan: plan.update(paths=[["p"]]), "the saved plan is malformed"),
        (lambda plan: plan.update(retry="production"), "the saved plan is malformed"),
    ],
    ids=["undeclared deployment", "repair of nothing recorded", "dropped training", "paths null",
         "paths nested", "retry a string"],
)
def test_an_edited_saved_plan_is_refused_and_nothing_runs(nerspec: Any, tiny: Any, state: Any, tmp_path: Path,
                                                          edit: Any, message: str) -> None:
    saved = tmp_path / "plan.json"
    assert nerspec("plan", str(tiny.dir), "-o", str(saved)).exit_code == 0
    plan = json.loads(saved.read_text(encoding="utf-8"))
    edit(plan)  # the inputs are unchanged: only the file differs from what `plan -o` wrote
    saved.write_text(json.dumps(plan), encoding="utf-8")
    result = CliRunner().invoke(cli, ["apply", str(saved)])
    assert result.exit_code == 1 and message in result.output, result.output
    assert "Traceback" not in result.output and not (state.root / "models").exists()

def test_gate_failure_exit_3(nerspec: Any, tiny: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    tiny.write_manifest(manifest(gates={"micro_f1": {"min": 0.9}}))
    result = nerspec("apply", str(tiny.dir))
    assert result.exit_code == 3
    assert "  - micro_f1 = 0.800 < min 0.900" in result.output
    assert "nothing deployed" in result.output


def test_deployments_rollback_and_force_unlock(nerspec: Any, tiny: Any, state: Any) -> None:
    nerspec("apply", str(tiny.dir))
    tiny.write_docs(make_docs(30))
    nerspec("apply", str(tiny.dir))
    listing = nerspec("deployments", "list", str(tiny.dir))
    assert listing.exit_code == 0 and listing.output.startswith("production")
    back = nerspec("rollback", str(tiny.dir), "production")
    assert back.exit_code == 0 and "rolled back" in back.output
    history = nerspec("deployments", "history", str(tiny.dir))
    assert [line.split()[2] for line in history.output.splitlines()] == ["deploy", "deploy", "rollback"]
    from nerspec.state import lock

    held = lock.acquire(state.root, "apply")
    busy = nerspec("apply", str(tiny.dir))
    assert busy.exit_code == 1 and held.id in busy.output
    alive = nerspec("force-unlock", held.id)  # its holder (this test process) is alive
    assert alive.exit_code == 1 and "--force" in alive.output
    assert nerspec("force-unlock", held.id, "--force").exit_code == 0
    assert lock.read_lock(state.root) is None


def test_help_has_examples() -> None:
    runner = CliRunner()
    for args in (["plan"], ["apply"], ["force-unlock"], ["deployments"], ["deployments", "list"],
                 ["deployments", "history"], ["rollback"], ["swap"]):
        assert "Example" in runner.invoke(cli, [*args, "--help"]).output, args


def test_noop_plan_imports_nothing_heavy(nerspec: Any, tiny: Any, state: Any) -> None:
    nerspec("apply", str(tiny.dir))
    code = (
        "import sys; from nerspec.cli import main; sys.argv = ['nerspec', 'plan', sys.argv[1]];\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('spacy', 'thinc', 'numpy', 'fastapi', 'jinja2') if m in sys.modules]\n"
        "print('HEAVY', ','.join(heavy))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(tiny.dir)], capture_output=True, text=True, cwd=ROOT,
        env={**__import__("os").environ, "NERSPEC_STATE": str(state.root)},
    )
    assert "No changes" in out.stdout, out.stdout + out.stderr
    assert out.stdout.strip().splitlines()[-1] == "HEAVY", out.stdout


def test_apply_exits_1_on_a_data_error_and_trains_nothing(nerspec: Any, tiny: Any, state: Any) -> None:
    docs = make_docs(24)
    docs[5]["spans"].append([-1, 3, "PER"])
    tiny.write_docs(docs)
    result = nerspec("apply", str(tiny.dir))
    assert result.exit_code == 1, result.output
    assert "d0005" in result.output and "nothing trained" in result.output
    assert "+ train" not in result.output and "trained" not in result.output.replace("nothing trained", "")
    assert not state.models.exists() or list(state.models.iterdir()) == []
    # plan predicts it: the same located errors, exit 1 (not "+ train" and exit 2)
    planned = nerspec("plan", str(tiny.dir), "--detailed-exitcode")
    assert planned.exit_code == 1, planned.output
    errors = [line for line in result.output.splitlines() if "d0005" in line]
    assert errors and all(line in planned.output for line in errors)
    assert "apply would train nothing" in planned.output and "+ train" not in planned.output


def test_saved_plan_applies_from_another_working_directory(
    nerspec: Any, tiny: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    saved = tmp_path / "plan.json"
    assert nerspec("plan", str(tiny.dir), "-o", str(saved)).exit_code == 0
    elsewhere = tmp_path / "elsewhere" / "deeper"
    elsewhere.mkdir(parents=True)
    monkeypatch.chdir(elsewhere)  # the manifest's display path differs; the plan's inputs do not
    applied = nerspec("apply", str(saved))
    assert applied.exit_code == 0, applied.output
    assert "stale" not in applied.output and "deployed production" in applied.output


def test_no_color_disables_color_on_a_terminal(nerspec: Any, tiny: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import nerspec.commands.reconcile as reconcile

    monkeypatch.setattr(reconcile, "is_terminal", lambda: True)

    def plan_output() -> str:  # color=True: click keeps escape codes as it would on a real terminal
        return CliRunner().invoke(cli, ["plan", str(tiny.dir)], color=True, catch_exceptions=False).output

    assert "\x1b[" in plan_output()  # a terminal gets color
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" not in plan_output()


def test_read_only_commands_create_no_state(tiny: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    install_parts(FAKES, monkeypatch.setattr)
    monkeypatch.delenv("NERSPEC_STATE", raising=False)
    (tmp_path / ".git").mkdir()  # tmp_path is the repository root: the default state would be tmp_path/.nerspec
    runner = CliRunner()
    for args in (["deployments", "list", str(tiny.dir)], ["deployments", "history", str(tiny.dir)], ["plan", str(tiny.dir)]):
        result = runner.invoke(cli, args, catch_exceptions=False)
        assert result.exit_code == 0, (args, result.output)
        assert not (tmp_path / ".nerspec").exists(), args


@pytest.mark.parametrize("value", ["nan", "-1", "abc"])
def test_a_lock_timeout_that_is_no_wait_is_a_usage_error(nerspec: Any, tiny: Any, value: str) -> None:
    result = CliRunner().invoke(cli, ["apply", str(tiny.dir), "--lock-timeout", value])
    assert result.exit_code == 1 and "Invalid value for '--lock-timeout'" in result.output, result.output
