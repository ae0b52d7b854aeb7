"""Throwaway PostgreSQL databases for the tests.

The admin URL comes from `INTEROP_TEST_DATABASE_URL` (e.g.
postgresql://postgres@127.0.0.1:5432/postgres). When it is unset, the local server at
127.0.0.1:5432 is used if it answers; if it does not, Postgres tests are skipped with that reason.
When the variable is set and the server does not answer, the tests fail: a CI job that asked for
Postgres must not pass silently without it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

ENV = "INTEROP_TEST_DATABASE_URL"
LOCAL = "postgresql://postgres@127.0.0.1:5432/postgres"


def admin_url(*, required: bool = False) -> str:
    """The admin URL to create databases with; skips (fails, when `required` or the variable
    is set) the test when the server is unreachable."""
    url = os.environ.get(ENV)
    try:
        with psycopg.connect(url or LOCAL, connect_timeout=5):
            pass
    except psycopg.Error as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        if url or required:
            pytest.fail(f"PostgreSQL unreachable at {url or LOCAL}: {reason}", pytrace=False)
        pytest.skip(f"PostgreSQL not reachable at {LOCAL} and {ENV} unset: {reason}")
    return url or LOCAL


def database_url(admin: str, name: str) -> str:
    parts = urlsplit(admin)
    return urlunsplit(parts._replace(path=f"/{name}"))


def create_database(admin: str, prefix: str = "interop_test") -> str:
    """A new, uniquely named, empty database: its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return database_url(admin, name)


def drop_databases(admin: str, prefix: str) -> None:
    """Drop every database whose name starts with `prefix` (even with clients connected)."""
    with psycopg.connect(admin, autocommit=True) as conn:
        names = [
            row[0]
            for row in conn.execute(
                "SELECT datname FROM pg_database WHERE starts_with(datname, %s)", (prefix,)
            )
        ]
        for name in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def fresh_database(admin: str, prefix: str = "interop_test") -> Iterator[str]:
    """A new, uniquely named, empty database (its URL), dropped afterwards."""
    url = create_database(admin, prefix)
    try:
        yield url
    finally:
        drop_databases(admin, urlsplit(url).path.lstrip("/"))


TABLES = (
    "assistants, assistant_versions, threads, runs, adapter_records, checkpoints, checkpoint_blobs,"
    " checkpoint_writes, crons"
)


def empty_tables(url: str) -> None:
    """Delete every row of the database's tables, if it has them yet (much cheaper than a new
    database per test)."""
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT to_regclass('threads') IS NOT NULL").fetchone()
        if row and row[0]:
            conn.execute(f"TRUNCATE {TABLES}")
