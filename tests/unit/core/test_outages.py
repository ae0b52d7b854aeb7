"""core.errors.unavailable: registered driver exceptions (and Unavailable itself) are outages;
anything else is not."""

from __future__ import annotations

import psycopg
import psycopg_pool
import redis.exceptions

import interop.brokers.redis
import interop.storage.postgres  # noqa: F401 - registers psycopg's outages
from interop.core.errors import NotFound, Unavailable, unavailable


def test_backend_outages_are_unavailable() -> None:
    for exc in (
        psycopg.OperationalError("connection refused"),
        psycopg_pool.PoolTimeout("no connection in 10 s"),
        redis.exceptions.ConnectionError("Connection closed by server."),
        redis.exceptions.TimeoutError("timed out"),
    ):
        assert isinstance(unavailable(exc), Unavailable)
    shutting_down = Unavailable("shutting down")
    assert unavailable(shutting_down) is shutting_down


def test_other_errors_are_not_outages() -> None:
    for exc in (
        ValueError("x"),
        NotFound("no such run"),
        psycopg.errors.UniqueViolation("duplicate"),
        redis.exceptions.ResponseError("WRONGTYPE"),
    ):
        assert unavailable(exc) is None
