"""Versioned schema migrations: an old state database opens after an upgrade.

Each migration is a list of statements applied in one transaction together with the version bump, so a
crash mid-migration leaves the old version intact. Never edit a released migration; append a new one.
"""

from __future__ import annotations

import sqlite3

from nerspec.errors import StateError

V1 = [
    """CREATE TABLE schema_version (version INTEGER NOT NULL)""",
    """CREATE TABLE models (
        fingerprint TEXT PRIMARY KEY,
        project TEXT NOT NULL,
        created TEXT NOT NULL,
        data_fingerprint TEXT NOT NULL,
        model_dir TEXT NOT NULL,
        metrics TEXT NOT NULL DEFAULT '{}')""",
    """CREATE INDEX models_project ON models (project, created)""",
    """CREATE TABLE deployments (
        project TEXT NOT NULL,
        deployment TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        target TEXT NOT NULL DEFAULT '{"type": "local"}',
        deployed_at TEXT NOT NULL,
        PRIMARY KEY (project, deployment))""",
    """CREATE TABLE history (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        project TEXT NOT NULL,
        deployment TEXT NOT NULL,
        action TEXT NOT NULL,
        from_fp TEXT,
        to_fp TEXT,
        actor TEXT NOT NULL,
        at TEXT NOT NULL)""",
]

# v2: evaluations, per-model document hashes (plan's added/removed/relabeled), why a deployment changed,
# and what a model was trained from (plan's reasons) and its files (drift).
V2 = [
    """ALTER TABLE models ADD COLUMN training_inputs TEXT NOT NULL DEFAULT '{}'""",
    """ALTER TABLE models ADD COLUMN versions TEXT NOT NULL DEFAULT '{}'""",
    """ALTER TABLE models ADD COLUMN artifact_files TEXT NOT NULL DEFAULT '{}'""",
    """ALTER TABLE history ADD COLUMN reason TEXT NOT NULL DEFAULT ''""",
    """CREATE INDEX history_project ON history (project, deployment, id)""",
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
        PRIMARY KEY (fingerprint, doc_id)) WITHOUT ROWID""",
]

# v3: production monitoring (issue 30): each deployment's declared monitoring settings and the documents a
# server logged for it (times in seconds since the epoch).
V3 = [
    """CREATE TABLE monitoring_settings (
        project TEXT NOT NULL,
        deployment TEXT NOT NULL,
        settings TEXT NOT NULL,
        updated REAL NOT NULL,
        PRIMARY KEY (project, deployment))""",
    """CREATE TABLE monitoring_documents (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        project TEXT NOT NULL,
        deployment TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        at REAL NOT NULL,
        doc_id TEXT NOT NULL,
        language TEXT,
        length INTEGER NOT NULL,
        tokens INTEGER NOT NULL,
        unseen_tokens INTEGER,
        predictions TEXT NOT NULL,
        expires REAL NOT NULL,
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
        weight REAL,
        started TEXT NOT NULL,
        PRIMARY KEY (project, deployment))""",
    """CREATE TABLE rollout_observations (
        rollout_id TEXT NOT NULL,
        error INTEGER NOT NULL,
        matched INTEGER NOT NULL,
        candidate_only INTEGER NOT NULL,
        production_only INTEGER NOT NULL,
        identical INTEGER NOT NULL,
        candidate_ms REAL,
        production_ms REAL NOT NULL)""",
    """CREATE INDEX rollout_observations_id ON rollout_observations (rollout_id)""",
]

# v5: the deployment's own settings (a digest) with each history entry: a rollback holds its model back until
# the model or these settings change (issue 24, no sticky rollbacks).
V5 = ["""ALTER TABLE history ADD COLUMN settings TEXT NOT NULL DEFAULT ''"""]

# v6: the train/test side of every document a stratified (split version 4) project's models were trained on,
# per split setting (``split_key``): recorded sides never move, new documents fill the class quotas (issue 27).
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


def current_version(conn: sqlite3.Connection) -> int:
    exists = conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='schema_version'").fetchone()
    if not exists:
        return 0
    row = conn.execute("SELECT version FROM schema_version").fetchone()
    return int(row[0]) if row else 0


def migrate(conn: sqlite3.Connection, target: int = LATEST) -> int:
    """Bring the database to ``target``; returns the version it had. ``conn`` must be in autocommit mode."""
    conn.execute("BEGIN IMMEDIATE")  # one migrator at a time; the others wait on busy_timeout
    try:
        before = current_version(conn)
        if before > LATEST:
            raise StateError(
                f"the state database has schema version {before}, newer than this nerspec supports ({LATEST}); "
                "upgrade nerspec"
            )
        for version in range(before + 1, target + 1):
            for statement in MIGRATIONS[version - 1]:
                conn.execute(statement)
            conn.execute("DELETE FROM schema_version")
            conn.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))
        conn.execute("COMMIT")
        return before
    except BaseException:
        conn.execute("ROLLBACK")
        raise
