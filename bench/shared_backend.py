"""Benchmark: the team backends against the embedded default.

    python bench/shared_backend.py [--runs 5] [--projects example,support-tickets] [--max-steps N]

Starts a throwaway PostgreSQL (Debian binaries, as the tests do) and moto's S3-compatible server on 127.0.0.1,
copies the example projects into a temporary repository and:

1. applies them with the shared backend (PostgreSQL state, S3 artifacts): real training, timed (``train``);
2. in a second working copy with an empty local directory, applies again (every model reused, nothing trained)
   and fetches every model from the object store into its local cache, verified (``reuse``);
   ratio ``reuse / train`` (the lower, the more a shared store saves: "never train twice" across runners);
3. moves the state to SQLite + a local directory and to PostgreSQL + a local directory (``nerspec state
   migrate``) and times a no-op ``nerspec plan`` as users run it (fresh process, median of ``--runs``) against
   SQLite, PostgreSQL and PostgreSQL + S3: ratio ``postgres / sqlite``, target at most 1.5.

``--max-steps`` shrinks training for a quick run (the committed default trains the projects as declared).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def nerspec(cwd: Path, env: dict[str, str], *args: str) -> float:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "nerspec.cli", *args], cwd=cwd, env=env, capture_output=True,
                          text=True)
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 2, 3):  # 3: a gate failed (a shrunken --max-steps run), still timed
        raise SystemExit(f"nerspec {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return elapsed


def working_copy(root: Path, projects: list[str], max_steps: int | None) -> Path:
    (root / ".git").mkdir(parents=True)
    for name in projects:
        shutil.copytree(ROOT / "projects" / name, root / "projects" / name)
        if max_steps:
            manifest = root / "projects" / name / "nerspec.yaml"
            text = manifest.read_text()
            import re

            manifest.write_text(re.sub(r"max_steps: \d+", f"max_steps: {max_steps}", text))
    return root


def median_plan(cwd: Path, env: dict[str, str], runs: int) -> float:
    nerspec(cwd, env, "plan")  # warm the stat cache and the OS cache
    return statistics.median(nerspec(cwd, env, "plan") for _ in range(runs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--projects", default="example,support-tickets")
    parser.add_argument("--max-steps", type=int, default=None)
    args = parser.parse_args()
    projects = args.projects.split(",")

    from tests.services import create_bucket, new_database, postgres_server, s3_environment, s3_server

    with tempfile.TemporaryDirectory(prefix="nerspec-bench-shared-") as tmp, postgres_server() as server, \
            s3_server() as endpoint:
        work = Path(tmp)
        create_bucket(endpoint, "models")
        pg, pg_local = new_database(server), new_database(server)
        s3 = "s3://models/nerspec"
        base = {k: v for k, v in os.environ.items() if not k.startswith("NERSPEC_")}
        base.update(s3_environment(endpoint), PYTHONPATH=str(ROOT))
        shared = {**base, "NERSPEC_STATE": pg, "NERSPEC_ARTIFACTS": s3}
        a = working_copy(work / "A", projects, args.max_steps)
        b = working_copy(work / "B", projects, args.max_steps)

        train = nerspec(a, shared, "apply")
        reuse = nerspec(b, shared, "apply")
        started = time.perf_counter()
        fetch = subprocess.run([sys.executable, "-c", (
            "from nerspec.paths import state_paths\nfrom nerspec.state import open_store\n"
            "from nerspec.artifacts.stores import open_artifact_store\nfrom nerspec.fingerprints.stat_cache import StatCache\n"
            "p = state_paths()\ns = open_store(p)\nst = open_artifact_store(p)\n"
            "[st.fetch(m.fingerprint, m.artifact_files, StatCache(p.cache)) for m in s.all_models()]\n")],
            cwd=b, env=shared, capture_output=True, text=True)
        if fetch.returncode:
            raise SystemExit(fetch.stderr)
        reuse += time.perf_counter() - started

        sqlite_dir = work / "sqlite-state"
        nerspec(a, base, "state", "migrate", "--from", pg, "--from-artifacts", s3, "--to", str(sqlite_dir), "--quiet")
        nerspec(a, base, "state", "migrate", "--from", pg, "--from-artifacts", s3, "--to", pg_local,
                "--artifacts", str(work / "pg-models"), "--quiet")
        sqlite_env = {**base, "NERSPEC_STATE": str(sqlite_dir)}
        pg_env = {**base, "NERSPEC_STATE": pg_local, "NERSPEC_ARTIFACTS": str(work / "pg-models")}
        # local deployments point at files under A's .nerspec; the migrated states record them the same way
        t_sqlite = median_plan(a, sqlite_env, args.runs)
        t_pg = median_plan(a, pg_env, args.runs)
        t_pg_s3 = median_plan(a, shared, args.runs)

    print(f"projects: {', '.join(projects)}; max_steps: {args.max_steps or 'as declared'}; plan runs: {args.runs}")
    print(f"train (apply, PostgreSQL + S3):            {train:8.2f} s")
    print(f"reuse (apply elsewhere + fetch from S3):   {reuse:8.2f} s   reuse/train = {reuse / train:.3f}")
    print(f"no-op plan, SQLite + local dir:            {t_sqlite:8.3f} s")
    print(f"no-op plan, PostgreSQL + local dir:        {t_pg:8.3f} s   postgres/sqlite = {t_pg / t_sqlite:.2f} "
          f"(target <= 1.5)")
    print(f"no-op plan, PostgreSQL + S3 (moto):        {t_pg_s3:8.3f} s   ratio vs sqlite = {t_pg_s3 / t_sqlite:.2f}")


if __name__ == "__main__":
    main()
