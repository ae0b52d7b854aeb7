"""The storage tests run over every backend: SQLite (a file per test) and PostgreSQL (one
database per test session, emptied before each test; see tests/databases.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.databases import admin_url, empty_tables, fresh_database

BACKENDS = ("sqlite", "postgres")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A migrated database for this session (dropped at its end)."""
    with fresh_database(admin_url()) as url:
        yield url


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    marker = request.node.get_closest_marker("only")
    if marker is not None and request.param not in marker.args:
        pytest.skip(f"{request.param}-specific: only for {', '.join(marker.args)}")
    return str(request.param)


@pytest.fixture
def db_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'interop.sqlite'}"
    url: str = request.getfixturevalue("postgres_url")
    # the first open migrates; the tables exist from then on
    empty_tables_if_migrated(url)
    return url


def empty_tables_if_migrated(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        exists = conn.execute("SELECT to_regclass('threads') IS NOT NULL").fetchone()
    if exists and exists[0]:
        empty_tables(url)
