"""``python -m nerspec.demo``'s report step: Markdown and HTML beside the run result, rendering bugs surface."""

from __future__ import annotations

from typing import Any

import pytest

from nerspec import demo


def test_reports_written_beside_the_run_result(tiny: Any, state: Any, run_apply: Any) -> None:
    result = run_apply()
    md, html = demo._reports(state, result)
    assert md == state.reports / "last-run.md" and html == state.reports / "last-run.html"
    assert "tiny" in md.read_text() and html.read_text().lstrip().lower().startswith("<!doctype html")


def test_a_rendering_bug_is_not_swallowed(tiny: Any, state: Any, run_apply: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    # `nerspec.report` re-exports the function `render`, which shadows the submodule as an attribute.
    render_module = importlib.import_module("nerspec.report.render")

    result = run_apply()

    def broken(*_args: Any, **_kwargs: Any) -> str:
        raise KeyError("a template bug")

    monkeypatch.setattr(render_module, "render", broken)
    with pytest.raises(KeyError, match="a template bug"):
        demo._reports(state, result)


def _run_tips(tips: list[Any], state_dir: Any) -> dict[str, Any]:
    """Run every runnable suggestion as printed (through the real command line, in this process)."""
    import shlex

    from click.testing import CliRunner

    from nerspec.cli import cli

    results = {}
    for tip in tips:
        if not tip.runnable:
            continue
        argv = shlex.split(tip.command)
        assert argv[0] == "nerspec", tip.command
        result = CliRunner().invoke(cli, argv[1:], env={"NERSPEC_STATE": str(state_dir)})
        assert result.exit_code == 0, f"{tip.command}: exit {result.exit_code}\n{result.output}"
        results[argv[1]] = result
    return results


def test_after_a_first_deploy_every_suggestion_runs(ner_model: Any, tmp_path: Any,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """One model deployed (as after `make demo`): no rollback to suggest, and the README's example predicts."""
    import shutil

    from nerspec.manifest.load import load_project
    from nerspec.paths import StatePaths

    root, state_dir, _artifact = ner_model
    shutil.copytree(root, tmp_path / "projects" / root.name)
    shutil.copytree(state_dir, tmp_path / "state")
    from nerspec.fingerprints.model import recorded_training_inputs
    from nerspec.state.repair import recover

    recover(StatePaths(tmp_path / "state"), recorded_training_inputs, {"type": "local"})  # the fixture deployed by pointer only: record it as apply would
    monkeypatch.chdir(tmp_path)
    project = load_project(tmp_path / "projects" / root.name)
    tips = demo.next_steps(project, StatePaths(tmp_path / "state"), failed=False)
    commands = [tip.command for tip in tips]
    assert not any(c.startswith("nerspec rollback") for c in commands)
    assert f"nerspec predict projects/{root.name} --deployment production 'Acme Bank lends $2M to Jane Doe.'" in commands
    ran = _run_tips(tips, tmp_path / "state")
    assert "Jane Doe" in ran["predict"].output


def test_after_a_second_deploy_rollback_is_suggested_and_runs(tiny: Any, state: Any, run_apply: Any) -> None:
    from tests.tiny import make_docs

    run_apply()
    tiny.write_docs(make_docs(30))
    run_apply()
    (project,) = tiny.load()
    tips = [tip for tip in demo.next_steps(project, state, failed=False) if "predict" not in tip.command]
    assert "nerspec rollback projects/tiny production" in [tip.command for tip in tips]
    _run_tips(tips, state.root)


def test_the_activation_hint_names_the_virtual_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    hint = demo.activation_hint()
    assert hint is not None and "/activate" in hint


def test_the_demo_never_applies_to_a_shared_state(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                                  tmp_path: Any) -> None:
    # A team member with NERSPEC_STATE in their shell runs `make demo`: nothing is planned, trained or deployed.
    monkeypatch.setenv("NERSPEC_STATE", "postgresql://nerspec@db.invalid:5432/nerspec")
    monkeypatch.chdir(tmp_path)
    assert demo.main([str(tmp_path / "no-such-project")]) == 1
    err = capsys.readouterr().err
    assert "postgresql://nerspec@db.invalid:5432/nerspec" in err and "Unset it" in err


def test_the_demo_never_publishes_to_a_shared_model_store(monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str], tmp_path: Any) -> None:
    monkeypatch.delenv("NERSPEC_STATE", raising=False)
    monkeypatch.setenv("NERSPEC_ARTIFACTS", "s3://team-models/nerspec")
    monkeypatch.chdir(tmp_path)
    assert demo.main([str(tmp_path / "no-such-project")]) == 1
    assert "s3://team-models/nerspec" in capsys.readouterr().err
