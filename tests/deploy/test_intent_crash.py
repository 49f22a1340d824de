"""SIGKILL a real ``nerspec rollback`` / ``nerspec swap`` between switching the pointer and recording it.

The next ``apply`` must finish what the user asked for (never "repair" it back as a change outside nerspec),
and ``plan`` in between names the interrupted command and how to finish it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from nerspec.deploy import local
from nerspec.state import open_store
from tests.commands.test_reconcile import FAKES
from tests.plan.test_plan import plan_of
from tests.test_apply_crash import ROOT, assert_consistent, kill
from tests.tiny import make_docs, manifest


def start(state: Any, tmp_path: Path, stage: str, *args: str) -> subprocess.Popen[bytes]:
    marker = tmp_path / f"paused-{stage}"
    env = {**os.environ, **FAKES, "PYTHONPATH": str(ROOT), "NERSPEC_STATE": str(state.root),
           "NERSPEC_TEST_PAUSE_AT": stage, "NERSPEC_TEST_PAUSE_MARKER": str(marker)}
    proc = subprocess.Popen([sys.executable, "-m", "tests.launch", *args], env=env, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while not marker.exists():
        assert proc.poll() is None, proc.stdout.read().decode()  # type: ignore[union-attr]
        assert time.monotonic() < deadline, f"never reached {stage}"
        time.sleep(0.05)
    return proc


def _serves(state: Any, deployment: str = "production") -> str:
    return local.read_pointer(state, "tiny", deployment)["fingerprint"]  # type: ignore[index]


def _recorded(state: Any) -> dict[str, str]:
    store = open_store(state)
    try:
        return {d: r.fingerprint for d, r in store.deployments("tiny").items()}
    finally:
        store.close()


def test_killed_rollback_is_finished_by_the_next_apply(tiny: Any, state: Any, parts: Any, run_apply: Any,
                                                        tmp_path: Path) -> None:
    first = run_apply()["projects"][0]["model"]["fingerprint"]
    tiny.write_docs(make_docs(30))
    second = run_apply()["projects"][0]["model"]["fingerprint"]
    proc = start(state, tmp_path, "rollback", "rollback", str(tiny.dir), "production")
    kill(proc)
    assert _serves(state) == first and _recorded(state)["production"] == second  # switched, not recorded
    reasons = " ".join(plan_of(tiny, state, parts).projects[0].actions[0].reasons)
    assert "interrupted rollback" in reasons and "nerspec apply" in reasons
    run_apply()
    assert _serves(state) == first and _recorded(state)["production"] == first  # finished, not undone
    store = open_store(state)
    assert store.history("tiny", "production")[-1].action == "rollback"
    store.close()
    assert_consistent(state)


def test_killed_swap_is_finished_by_the_next_apply(tiny: Any, state: Any, parts: Any, run_apply: Any,
                                                    tmp_path: Path) -> None:
    from nerspec.deploy import rollback

    tiny.write_manifest(manifest(deployments=[{"name": "production"}, {"name": "staging"}]))
    first = run_apply()["projects"][0]["model"]["fingerprint"]
    tiny.write_docs(make_docs(30))
    second = run_apply()["projects"][0]["model"]["fingerprint"]
    rollback(state, tiny.load()[0], "staging")
    assert _recorded(state) == {"production": second, "staging": first}
    staging = first
    proc = start(state, tmp_path, "swap", "swap", str(tiny.dir), "production", "staging")
    kill(proc)
    assert _serves(state, "production") == staging  # half done: production switched, staging not yet
    run_apply(no_deploy=True)
    assert _recorded(state)["production"] == staging and _recorded(state)["staging"] == second
    assert _serves(state, "production") == staging and _serves(state, "staging") == second
    assert_consistent(state)


def test_plan_names_a_rollback_killed_before_it_switched_with_the_model_it_goes_to(
    tiny: Any, state: Any, parts: Any, run_apply: Any, tmp_path: Path
) -> None:
    first = run_apply()["projects"][0]["model"]["fingerprint"]
    tiny.write_docs(make_docs(30))
    second = run_apply()["projects"][0]["model"]["fingerprint"]
    kill(start(state, tmp_path, "deploy", "rollback", str(tiny.dir), "production"))  # intent written, nothing switched
    assert _serves(state) == second and _recorded(state)["production"] == second
    (action,) = plan_of(tiny, state, parts).projects[0].actions
    assert action.type == "repair" and action.fingerprint == first  # the headline names where it goes
    assert "interrupted rollback" in action.reasons[0] and "nerspec apply" in action.reasons[0]
    run_apply()
    assert _serves(state) == first and _recorded(state)["production"] == first
    assert not plan_of(tiny, state, parts).changes
    assert_consistent(state)


def test_plan_names_both_sides_of_a_swap_killed_half_way(tiny: Any, state: Any, parts: Any, run_apply: Any,
                                                         tmp_path: Path) -> None:
    from nerspec.deploy import rollback

    tiny.write_manifest(manifest(deployments=[{"name": "production"}, {"name": "staging"}]))
    first = run_apply()["projects"][0]["model"]["fingerprint"]
    tiny.write_docs(make_docs(30))
    second = run_apply()["projects"][0]["model"]["fingerprint"]
    rollback(state, tiny.load()[0], "staging")
    kill(start(state, tmp_path, "swap", "swap", str(tiny.dir), "production", "staging"))
    actions = {a.deployment: a for a in plan_of(tiny, state, parts).projects[0].actions}
    assert {d: (a.type, a.fingerprint) for d, a in actions.items()} == {"production": ("repair", first),
                                                                         "staging": ("repair", second)}
    assert all("interrupted swap" in a.reasons[0] for a in actions.values())


def test_apply_removes_stale_temporaries_of_killed_pointer_writes(tiny: Any, state: Any, run_apply: Any) -> None:
    run_apply()
    leftover = state.registry / "tiny" / ".production.json.abc123.tmp"
    leftover.write_text("{")
    os.utime(leftover, (time.time() - 600, time.time() - 600))
    fresh = state.registry / "tiny" / ".staging.json.def456.tmp"  # a writer may still be finishing this one
    fresh.write_text("{")
    run_apply()
    assert not leftover.exists() and fresh.exists()
