"""A SIGKILLed extraction resumes to every record exactly once; Ray writes what the local engine writes."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.extract.conftest import write_input

pytestmark = pytest.mark.slow


def _records(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for f in sorted(out.glob("*.jsonl")) if not f.name.endswith(".errors.jsonl")
            for line in f.read_text(encoding="utf-8").splitlines()]


def test_sigkill_then_rerun_gives_every_record_exactly_once(ner_model: Any, tmp_path: Path) -> None:
    project, state, artifact = ner_model
    source = tmp_path / "docs.jsonl"
    records = write_input(source, n=1000, bad=False)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "nerspec", "extract", str(project), "--state", str(state), "--input",
               str(source), "--output", str(out), "--partition-size", "20", "--workers", "2", "--quiet"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    markers = out / "_parts"
    while time.monotonic() < deadline and process.poll() is None:
        if markers.is_dir() and len(list(markers.glob("*.json"))) >= 2:
            break
        time.sleep(0.02)
    assert process.poll() is None, "finished before it could be killed: make the input larger"
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    done_before = len(list(markers.glob("*.json")))
    total = -(-len(records) // 20)
    assert 0 < done_before < total
    time.sleep(0.5)  # the workers die with their parent (PR_SET_PDEATHSIG): nothing more is committed
    assert len(list(markers.glob("*.json"))) <= done_before + 2
    rerun = subprocess.run(command[:-1] + ["--json"], capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    summary = json.loads(rerun.stdout)
    assert summary["partitions_skipped"] >= done_before and summary["partitions"] == total
    ids = [r["id"] for r in _records(out)]
    assert sorted(ids) == sorted(r["id"] for r in records) and len(ids) == len(set(ids))
    assert not [f for f in out.rglob("*") if f.name.endswith(".tmp") or f.name.endswith(".partial")]
    assert {r["modelFingerprint"] for r in _records(out)} == {artifact.fingerprint}


def test_ray_engine_writes_the_same_files_as_the_local_engine(
    ner_model: Any, ray_instance: Any, tmp_path: Path
) -> None:
    import nerspec

    project, state, artifact = ner_model
    source = tmp_path / "in" / "docs.jsonl"
    source.parent.mkdir()
    write_input(source, n=30)
    import pyarrow as pa
    import pyarrow.parquet as pq

    texts = ["Carla Diaz met Hugo Lee in Lima.", None, "Erin Rao flew to Oslo.", "x " * 400, "Bob Jones."]
    pq.write_table(pa.table({"id": [f"p{i}" for i in range(5)], "text": texts}), source.parent / "rows.parquet",
                   row_group_size=3)
    local, ray_out = tmp_path / "local", tmp_path / "ray"
    options: dict[str, Any] = {"state": state, "input": source.parent, "partition_size": 8, "max_chars": 500}
    a = nerspec.extract(project, output=local, workers=2, **options)
    b = nerspec.extract(project, output=ray_out, engine="ray", workers=2, batch_size=5, **options)
    assert (a.documents, a.errors, a.partitions) == (b.documents, b.errors, b.partitions)
    names = sorted(f.name for f in local.iterdir() if f.is_file() and not f.name.startswith("_"))
    assert names == sorted(f.name for f in ray_out.iterdir() if f.is_file() and not f.name.startswith("_"))
    assert any(name.endswith(".parquet") for name in names)
    for name in names:  # record by record, byte for byte, errors included (Parquet files too)
        assert (local / name).read_bytes() == (ray_out / name).read_bytes(), name
    again = nerspec.extract(project, output=ray_out, engine="ray", **options)
    assert again.partitions_run == 0 and again.partitions_skipped == b.partitions


def _actor_pids() -> list[int]:
    """Processes of Ray Data's map actors (their title is ``ray::MapWorker(...)``), found through /proc."""
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and b"MapWorker" in (entry / "cmdline").read_bytes():
                pids.append(int(entry.name))
        except OSError:
            continue
    return pids


def test_a_ray_actor_that_dies_fails_the_job_instead_of_hanging_and_a_rerun_resumes(
    ner_model: Any, ray_instance: Any, tmp_path: Path
) -> None:
    import os
    from concurrent.futures import ThreadPoolExecutor

    import nerspec
    from nerspec.errors import NerspecError

    project, state, _ = ner_model
    source = tmp_path / "docs.jsonl"
    records = write_input(source, n=4000, bad=False)
    out = tmp_path / "out"
    options: dict[str, Any] = {"state": state, "input": source, "partition_size": 20}
    # Actors of an earlier job in this Ray instance may still be alive; killing one of them proves nothing.
    earlier = set(_actor_pids())
    with ThreadPoolExecutor(1) as pool:
        job = pool.submit(nerspec.extract, project, output=out, engine="ray", workers=2, **options)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not job.done() and not list((out / "_parts").glob("*.json")):
            time.sleep(0.02)
        assert not job.done(), "finished before an actor could be killed: make the input larger"
        victims = [pid for pid in _actor_pids() if pid not in earlier]
        assert victims, "no map actor of this job found"
        os.kill(victims[0], signal.SIGKILL)
        # Ray Data would restart the actor and retry its partition without end; nerspec asks for no restarts.
        with pytest.raises(NerspecError, match="rerun to resume"):
            job.result(timeout=120)
    again = nerspec.extract(project, output=out, engine="ray", workers=2, **options)
    assert again.partitions_skipped > 0
    ids = [r["id"] for r in _records(out)]
    assert sorted(ids) == sorted(r["id"] for r in records) and len(ids) == len(set(ids))
