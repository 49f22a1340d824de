"""``--engine ray``: the same partitions as Ray Data tasks, the same files, the same resume.

Pipeline: a dataset of partition descriptors (one block each) -> ``flat_map`` reads each partition into rows
on a Ray worker -> ``map_batches`` with a callable class (``RayAnalyzer``), so each actor of the pool loads the
model once -> the driver receives ``(partition, index, payload | error)`` rows and commits a partition the moment
its last row arrives. The model travels through Ray's object store as one tar of the artifact directory (with
its sha256, checked by every actor), so workers need nerspec and spaCy installed, not the driver's files.
Inputs are read by the workers: on a multi-machine cluster the input path must be on shared storage.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from nerspec.errors import NerspecError
from nerspec.extract.engines import Events, Job
from nerspec.extract.outputs import Settings, commit
from nerspec.extract.partitions import Partition, Row, read_rows


def pack_artifact(artifact_dir: Path) -> tuple[bytes, str]:
    """The artifact directory as an uncompressed tar (models are mostly float arrays) and its sha256."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for path in sorted(artifact_dir.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                tar.add(path, arcname=path.relative_to(artifact_dir).as_posix(), recursive=False)
    data = buffer.getvalue()
    return data, hashlib.sha256(data).hexdigest()


def unpack_artifact(data: bytes, sha256: str, fingerprint: str) -> Path:
    """Unpack once per machine into the temp dir (content-addressed, atomically); verify the bytes first."""
    if hashlib.sha256(data).hexdigest() != sha256:
        raise NerspecError("the model received from the Ray object store does not match its sha256")
    from nerspec.atomic import staged_dir

    final = Path(tempfile.gettempdir()) / "nerspec-extract-models" / f"{fingerprint}-{sha256[:16]}"
    if (final / "meta.json").is_file():
        return final
    with staged_dir(final) as staging:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r") as tar:
            tar.extractall(staging, filter="data")
    return final


def _row_dict(partition_id: str, row: Row) -> dict[str, Any]:
    return {"pid": partition_id, "index": row.index, "id": row.id, "location": row.location,
            "text": row.text, "error": row.error, "skip": row.skip, "language": row.language}


def read_partition(item: dict[str, Any], max_chars: int) -> list[dict[str, Any]]:
    partition = Partition.from_json(item["partition"])
    return [_row_dict(partition.id, row) for row in read_rows(partition, max_chars)]


class RayAnalyzer:
    """A Ray Data callable class: constructed once per actor (the model load), called per batch."""

    def __init__(self, model: Any, sha256: str, settings: Settings, batch_size: int) -> None:
        import ray

        from nerspec.extract.work import Analyzer

        data = model if isinstance(model, bytes) else ray.get(model)
        artifact = unpack_artifact(data, sha256, settings.fingerprint)
        self.analyzer = Analyzer(artifact, settings, batch_size)

    def __call__(self, batch: Any) -> Any:
        import pyarrow as pa

        from nerspec.extract.work import error_record

        rows = [Row(r["index"], r["id"], r["location"], r["text"], r["error"], bool(r["skip"]), r.get("language"))
                for r in batch.to_pylist()]
        # Rows of several partitions share indices: key the outcome by position in the batch.
        good = [n for n, row in enumerate(rows) if not row.skip and row.error is None and row.text is not None]
        outcome = dict(zip(good, self.analyzer.analyze([rows[n] for n in good]))) if good else {}
        out_payload: list[str | None] = []
        out_error: list[str | None] = []
        for n, row in enumerate(rows):
            payload, reason = outcome.get(n, (None, None))
            out_payload.append(payload)
            out_error.append(None if row.skip or payload is not None else (reason or error_record(row)["reason"]))
        return pa.table({
            "pid": batch.column("pid"),
            "index": pa.array([r.index for r in rows], pa.int64()),
            "id": pa.array([r.id for r in rows], pa.string()),
            "location": pa.array([r.location for r in rows], pa.string()),
            "payload": pa.array(out_payload, pa.string()),
            "error": pa.array(out_error, pa.string()),
            "skip": pa.array([r.skip for r in rows], pa.bool_()),
        })


class RayEngine:
    name = "ray"

    def run(self, job: Job, pending: list[Partition], events: Events) -> None:
        try:
            import ray
        except ImportError:
            raise NerspecError("--engine ray needs Ray: pip install 'nerspec[ray]'") from None
        started_here = False
        if not ray.is_initialized():
            address = job.ray_address or os.environ.get("RAY_ADDRESS") or None
            local: dict[str, Any] = {} if address else {"num_cpus": job.workers}
            ray.init(address=address, include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR, **local)
            started_here = True
        try:
            self._run(ray, job, pending, events)
        except ray.exceptions.RayError as exc:  # a worker without nerspec/spaCy, a lost node, an actor that died
            if _is_bug(exc):
                raise
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise NerspecError(f"the Ray job failed: {first}; finished partitions are kept: rerun to resume") from None
        finally:
            if started_here:
                ray.shutdown()

    def _run(self, ray: Any, job: Job, pending: list[Partition], events: Events) -> None:
        by_id = {p.id: p for p in pending}
        for partition in [p for p in pending if p.count == 0]:
            events.partition(commit(job.out_dir, partition, [], [], job.settings))
        todo = [p for p in pending if p.count > 0]
        if not todo:
            return
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False  # nerspec draws its own progress
        # Ray Data's INFO lines would interleave with that progress; ray.init configures these loggers, so
        # this comes after it.
        for name in ("ray", "ray.data"):
            logging.getLogger(name).setLevel(logging.ERROR)
        context.execution_options.preserve_order = False
        data, sha256 = pack_artifact(job.artifact_dir)
        model_ref = ray.put(data)
        workers = job.workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
        ds = ray.data.from_items([{"partition": p.to_json()} for p in todo], override_num_blocks=len(todo))
        # Reading is light: no CPU reserved, so the read tasks never wait behind the actors holding every CPU.
        ds = ds.flat_map(read_partition, fn_kwargs={"max_chars": job.settings.max_chars}, num_cpus=0)
        ds = ds.map_batches(
            RayAnalyzer,
            fn_constructor_kwargs={"model": model_ref, "sha256": sha256, "settings": job.settings,
                                   "batch_size": job.batch_size},
            batch_size=job.batch_size,
            batch_format="pyarrow",
            compute=ray.data.ActorPoolStrategy(size=workers),
            num_cpus=1,
        )
        collected: dict[str, list[dict[str, Any]]] = {p.id: [] for p in todo}
        for batch in ds.iter_batches(batch_format="pyarrow", batch_size=None):
            rows = batch.to_pylist()
            events.documents(sum(1 for r in rows if not r["skip"]))
            for row in rows:
                got = collected[row["pid"]]
                got.append(row)
                if len(got) == by_id[row["pid"]].count:
                    events.partition(_commit_rows(job, by_id[row["pid"]], collected.pop(row["pid"])))
        for pid, rows in collected.items():  # the input shrank while reading: commit what was there
            events.partition(_commit_rows(job, by_id[pid], rows))


def _is_bug(exc: BaseException) -> bool:
    """An exception in nerspec's own code on a worker (exit 70), not the cluster's environment (exit 1)."""
    import ray

    environment = ("ModuleNotFoundError", "ImportError", "ModelNotFoundError", "NerspecError", "MemoryError")
    return isinstance(exc, ray.exceptions.UserCodeException) and not any(name in str(exc) for name in environment)


def _commit_rows(job: Job, partition: Partition, rows: list[dict[str, Any]]) -> Any:
    rows.sort(key=lambda r: r["index"])
    records = [(r["id"], r["payload"]) for r in rows if r["payload"] is not None]
    errors = [{"id": r["id"], "location": r["location"], "reason": r["error"]}
              for r in rows if r["payload"] is None and not r["skip"]]
    blank = sum(1 for r in rows if r["skip"])
    return commit(job.out_dir, partition, records, errors, job.settings, blank=blank)
