"""Schema migrations of the PostgreSQL state: applied in one transaction with the version bump.

Each entry is one version; never edit a released one, append. A database with a newer version than this
nerspec knows is refused (an older nerspec must not write a schema it does not understand).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nerspec.errors import StateError

if TYPE_CHECKING:
    from psycopg import Connection
    from psycopg.rows import TupleRow


V1 = [
    """CREATE TABLE IF NOT EXISTS nerspec_schema (version INTEGER NOT NULL)""",
    """CREATE TABLE models (
        fingerprint TEXT PRIMARY KEY,
        project TEXT NOT NULL,
        created TEXT NOT NULL,
        data_fingerprint TEXT NOT NULL,
        model_dir TEXT NOT NULL,
        metrics TEXT NOT NULL DEFAULT '{}',
        training_inputs TEXT NOT NULL DEFAULT '{}',
        versions TEXT NOT NULL DEFAULT '{}',
        artifact_files TEXT NOT NULL DEFAULT '{}',
        seq BIGSERIAL)""",
    """CREATE INDEX models_project ON models (project, created, seq)""",
    """CREATE TABLE deployments (
        project TEXT NOT NULL,
        deployment TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        target TEXT NOT NULL DEFAULT '{"type": "local"}',
        deployed_at TEXT NOT NULL,
        PRIMARY KEY (project, deployment))""",
    """CREATE TABLE history (
        id BIGSERIAL PRIMARY KEY,
        project TEXT NOT NULL,
        deployment TEXT NOT NULL,
        action TEXT NOT NULL,
        from_fp TEXT,
        to_fp TEXT,
        actor TEXT NOT NULL,
        at TEXT NOT NULL,
        reason TEXT NOT NULL DEFAULT '')""",
    """CREATE TABLE evaluations (
        fingerprint TEXT NOT NULL,
        test_key TEXT NOT NULL,
        project TEXT NOT NULL,
        created TEXT NOT NULL,
        evaluation TEXT NOT NULL,
        PRIMARY KEY (fingerprint, test_key))""",
    """CREATE TABLE document_hashes (
        fingerprint TEXT NOT NULL,
        doc_id TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        PRIMARY KEY (fingerprint, doc_id))""",
]

# v2: who holds each project's advisory lock (for the lock error), and history by deployment.
V2 = [
    """CREATE TABLE locks (
        project TEXT PRIMARY KEY,
        id TEXT NOT NULL,
        host TEXT NOT NULL,
        pid INTEGER NOT NULL,
        operation TEXT NOT NULL,
        started TEXT NOT NULL,
        ci_url TEXT NOT NULL DEFAULT '')""",
    """CREATE INDEX history_project ON history (project, deployment, id)""",
]

# v3: production monitoring (issue 30): each deployment's declared monitoring settings and the documents a
# server logged for it (times in seconds since the epoch).
V3 = [
    """CREATE TABLE monitoring_settings (
        project TEXT NOT NULL,
        deployment TEXT NOT NULL,
        settings TEXT NOT NULL,
        updated DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (project, deployment))""",
    """CREATE TABLE monitoring_documents (
        id BIGSERIAL PRIMARY KEY,
        project TEXT NOT NULL,
        deployment TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        at DOUBLE PRECISION NOT NULL,
        doc_id TEXT NOT NULL,
        language TEXT,
        length INTEGER NOT NULL,
        tokens INTEGER NOT NULL,
        unseen_tokens INTEGER,
        predictions TEXT NOT NULL,
        expires DOUBLE PRECISION NOT NULL,
        text TEXT)""",
    """CREATE INDEX monitoring_documents_window ON monitoring_documents (project, deployment, at)""",
    """CREATE INDEX monitoring_documents_expires ON monitoring_documents (expires)""",
]

# v4: rollouts (a candidate staged on a deployment) and the observations servers record of them, in batches.
V4 = [
    """CREATE TABLE rollouts (
        project TEXT NOT NULL,
        deployment TEXT NOT NULL,
        id TEXT NOT NULL UNIQUE,
        candidate TEXT NOT NULL,
        production TEXT,
        strategy TEXT NOT NULL,
        weight DOUBLE PRECISION,
        started TEXT NOT NULL,
        PRIMARY KEY (project, deployment))""",
    """CREATE TABLE rollout_observations (
        rollout_id TEXT NOT NULL,
        error INTEGER NOT NULL,
        matched INTEGER NOT NULL,
        candidate_only INTEGER NOT NULL,
        production_only INTEGER NOT NULL,
        identical INTEGER NOT NULL,
        candidate_ms DOUBLE PRECISION,
        production_ms DOUBLE PRECISION NOT NULL)""",
    """CREATE INDEX rollout_observations_id ON rollout_observations (rollout_id)""",
]

# v5: the deployment's own settings (a digest) with each history entry (a rollback's hold, issue 24).
V5 = ["""ALTER TABLE history ADD COLUMN settings TEXT NOT NULL DEFAULT ''"""]

# v6: recorded stratified split sides (as SQLite's v6).
V6 = [
    """CREATE TABLE split_sides (
        project TEXT NOT NULL,
        split_key TEXT NOT NULL,
        doc_id TEXT NOT NULL,
        test INTEGER NOT NULL,
        PRIMARY KEY (project, split_key, doc_id))""",
]

MIGRATIONS: list[list[str]] = [V1, V2, V3, V4, V5, V6]
LATEST = len(MIGRATIONS)
MIGRATION_LOCK = 0x6E6572737065  # "nerspe": one migrator at a time (transaction-scoped advisory lock)


def current_version(conn: Connection[TupleRow]) -> int:
    exists = conn.execute("SELECT to_regclass('nerspec_schema')").fetchone()
    if exists is None or exists[0] is None:
        return 0
    row = conn.execute("SELECT version FROM nerspec_schema").fetchone()
    return int(row[0]) if row else 0


def migrate(conn: Connection[TupleRow], target: int = LATEST) -> int:
    """Bring the database to ``target``; returns the version it had. ``conn`` is in autocommit mode."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        before = current_version(conn)
        if before > LATEST:
            raise StateError(
                f"the PostgreSQL state has schema version {before}, newer than this nerspec supports ({LATEST}); "
                "upgrade nerspec"
            )
        for version in range(before + 1, target + 1):
            for statement in MIGRATIONS[version - 1]:
                conn.execute(statement)
            conn.execute("DELETE FROM nerspec_schema")
            conn.execute("INSERT INTO nerspec_schema (version) VALUES (%s)", (version,))
    return before
