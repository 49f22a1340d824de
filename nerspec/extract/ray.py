"""``--engine ray``: the same partitions as Ray Data tasks, the same files, the same resume.

Pipeline: a dataset of partition descriptors (one row and one block each) -> ``map_batches`` with a callable
class (``RayAnalyzer``) on an actor pool, one partition per call, so each actor loads the model once and then
reads, analyzes and encodes whole partitions as a local worker process does -> the driver receives each
partition's files as bytes and writes them (atomically, marker last). Why whole partitions rather than rows
of documents: on 2 cores every CPU second the driver spends on rows (Arrow conversions, dicts, sorting) is taken
from the actors; this way no text crosses the object store and the driver's work is one write per partition.
The model travels through Ray's object store as one tar of the artifact directory (with its sha256, checked by
every actor), so workers need nerspec and spaCy installed, not the driver's files. Inputs are read by the
workers: on a multi-machine cluster the input path must be on shared storage; outputs are written by the driver.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import tarfile
import tempfile
import warnings
from dataclasses import asdict
from pathlib import Path
from typing import Any

from nerspec.errors import NerspecError
from nerspec.extract.job import Events, Job
from nerspec.extract.outputs import Encoded, PartitionResult, Settings, commit, write
from nerspec.extract.partitions import Partition


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


class RayAnalyzer:
    """A Ray Data callable class: constructed once per actor (the model load), called per partition.

    It reads, analyzes and encodes whole partitions (``nerspec.extract.work.analyze_partition``, as the local
    engine's processes do) and returns each partition's files as bytes, so the driver only writes them: no
    text crosses the object store, and per-document work never runs on the driver.
    """

    def __init__(self, model: Any, sha256: str, settings: Settings, batch_size: int) -> None:
        import ray

        from nerspec.extract.work import Analyzer

        data = model if isinstance(model, bytes) else ray.get(model)
        artifact = unpack_artifact(data, sha256, settings.fingerprint)
        self.analyzer = Analyzer(artifact, settings, batch_size)

    def __call__(self, batch: Any) -> Any:
        import pyarrow as pa

        from nerspec.extract.work import analyze_partition

        done = [analyze_partition(self.analyzer, Partition.from_json(raw))
                for raw in batch.column("partition").to_pylist()]
        return pa.table({
            "partition": pa.array([e.partition for e in done], pa.string()),
            "output": pa.array([e.output for e in done], pa.large_binary()),
            "errors": pa.array([e.errors for e in done], pa.large_string()),
            "result": pa.array([json.dumps(asdict(e.result)) for e in done], pa.string()),
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
        with warnings.catch_warnings():
            # Ray 2.5x deprecates remote args given as keywords without naming a replacement for max_restarts.
            warnings.simplefilter("ignore", DeprecationWarning)
            ds = ds.map_batches(
                RayAnalyzer,
                fn_constructor_kwargs={"model": model_ref, "sha256": sha256, "settings": job.settings,
                                       "batch_size": job.batch_size},
                batch_size=1,  # one partition per call: the unit of output files, of resume and of load balancing
                batch_format="pyarrow",
                # One partition in flight per actor: a queue on the first actor to start would leave others idle.
                compute=ray.data.ActorPoolStrategy(size=min(workers, len(todo)), max_tasks_in_flight_per_actor=1),
                num_cpus=1,
                # An actor that dies (a text that exhausts memory, a lost node) fails the job, as a local worker
                # does, and the rerun resumes; Ray Data's default (restart it, retry its partition forever)
                # could loop on one poisonous partition.
                max_restarts=0,
            )
        for batch in ds.iter_batches(batch_format="pyarrow", batch_size=None):
            for row in batch.to_pylist():
                result = PartitionResult(**json.loads(row["result"]))
                encoded = Encoded(row["partition"], row["output"], row["errors"], result)
                events.documents(result.records + result.errors + result.blank)
                events.partition(write(job.out_dir, by_id[row["partition"]], encoded, job.settings))


def _is_bug(exc: BaseException) -> bool:
    """An exception in nerspec's own code on a worker (exit 70), not the cluster's environment (exit 1)."""
    import ray

    environment = ("ModuleNotFoundError", "ImportError", "ModelNotFoundError", "NerspecError", "MemoryError")
    return isinstance(exc, ray.exceptions.UserCodeException) and not any(name in str(exc) for name in environment)
