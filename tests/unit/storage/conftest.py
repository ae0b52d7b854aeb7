"""PostgreSQL for the storage tests: one database per test session (see tests/databases.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.databases import admin_url, fresh_database


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """An empty database of this session's own (dropped at its end); skipped or failed as
    tests/databases.py says when PostgreSQL is unreachable."""
    with fresh_database(admin_url()) as url:
        yield url
