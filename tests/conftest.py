"""Session-wide real services (started only by the tests that ask for them), and the fixtures shared across folders.

The tests mirror the package layout, so fixtures used by tests in several folders live in modules of their own,
registered here once: tiny projects and the fake run parts (tests/tiny.py), and the tiny trained models
(tests/trained_models.py, trained once per session and kind; the nested-entity one in tests/nested_models.py).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

pytest_plugins = ["tests.tiny", "tests.trained_models", "tests.nested_models"]


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    from tests.services import postgres_server

    with postgres_server() as url:
        yield url


@pytest.fixture
def pg_url(postgres_server_url: str) -> str:
    """A fresh, empty database on the session's PostgreSQL server."""
    from tests.services import new_database

    return new_database(postgres_server_url)


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    from tests.services import s3_server

    with s3_server() as endpoint:
        yield endpoint


@pytest.fixture
def s3_bucket(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh bucket, with the standard AWS variables pointing at the moto server; returns ``s3://bucket/nerspec``."""
    import uuid

    from tests.services import create_bucket, s3_environment

    for key, value in s3_environment(s3_endpoint).items():
        monkeypatch.setenv(key, value)
    bucket = f"models-{uuid.uuid4().hex[:10]}"
    create_bucket(s3_endpoint, bucket)
    return f"s3://{bucket}/nerspec"
