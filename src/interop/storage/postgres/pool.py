"""Connections to PostgreSQL: the URL check and the psycopg connection pool every store shares.

Every connection is in autocommit mode (a statement is its own transaction unless a store opens
one with `conn.transaction()`), returns rows as dicts (what LangGraph's AsyncPostgresSaver
expects) and speaks UTC, so timestamps come back as UTC-aware datetimes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import orjson
import psycopg
from psycopg import AsyncConnection
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import DictRow, dict_row
from psycopg.types.json import Jsonb, set_json_loads
from psycopg_pool import AsyncConnectionPool

from interop.storage.errors import StorageUnavailable

Connection = AsyncConnection[DictRow]
Pool = AsyncConnectionPool[Connection]

SCHEMES = ("postgresql://", "postgres://")
CONNECT_TIMEOUT = 10  # seconds, for the first connection and each one the pool opens
POOL_MIN = 2
POOL_MAX = 10
POOL_WAIT = 10.0


def is_postgres_url(url: str) -> bool:
    return url.startswith(SCHEMES)


def describe(url: str) -> str:
    """The URL without its password (and query), for messages."""
    return _PASSWORD.sub(r"://\1@", url.split("?", 1)[0])


_PASSWORD = re.compile(r"://([^:@/]*):[^@/]*@")


def one_line(exc: BaseException) -> str:
    """An exception's message on one line."""
    return " ".join(str(exc).split()) or type(exc).__name__


def check_url(url: str) -> None:
    """Raise StorageUnavailable when `url` is not a well-formed PostgreSQL URL."""
    try:
        conninfo_to_dict(url)
        urlsplit(url).port  # noqa: B018 - raises ValueError for a port that is not a number
    except (psycopg.ProgrammingError, ValueError) as exc:
        raise StorageUnavailable(
            f"invalid PostgreSQL URL {describe(url)}: {one_line(exc)}"
        ) from exc


def jsonb(value: Any) -> Jsonb:
    """A JSON parameter, encoded by orjson as the SQLite storage does."""
    return Jsonb(value, dumps=_dumps)


def _dumps(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


async def _configure(conn: Connection) -> None:
    set_json_loads(orjson.loads, conn)
    await conn.execute("SET TIME ZONE 'UTC'")


async def connect(url: str) -> Connection:
    """One connection (used for migrations); StorageUnavailable when it cannot be opened."""
    try:
        conn = await AsyncConnection.connect(
            url, autocommit=True, row_factory=dict_row, connect_timeout=CONNECT_TIMEOUT
        )
    except psycopg.Error as exc:
        raise StorageUnavailable(f"cannot connect to {describe(url)}: {one_line(exc)}") from exc
    await _configure(conn)
    return conn


async def open_pool(url: str) -> Pool:
    """The shared pool, open with its first connections made."""
    pool: Pool = AsyncConnectionPool(
        url,
        min_size=POOL_MIN,
        max_size=POOL_MAX,
        kwargs={"autocommit": True, "row_factory": dict_row, "connect_timeout": CONNECT_TIMEOUT},
        configure=_configure,
        # How long a request waits for a connection (psycopg_pool's default is 30 s): a
        # database that is down answers 503 after this, rather than holding the request.
        timeout=POOL_WAIT,
        open=False,
        name="interop",
    )
    try:
        await pool.open(wait=True, timeout=CONNECT_TIMEOUT)
    except psycopg.Error as exc:  # PoolTimeout is one
        await pool.close()
        raise StorageUnavailable(f"cannot connect to {describe(url)}: {one_line(exc)}") from exc
    return pool


class Tables:
    """Shared plumbing of the stores: one statement on a pooled connection."""

    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[DictRow]:
        async with self._pool.connection() as conn:
            cursor = await conn.execute(sql, params)
            return await cursor.fetchall()

    async def _row(self, sql: str, params: Sequence[Any] = ()) -> DictRow | None:
        async with self._pool.connection() as conn:
            cursor = await conn.execute(sql, params)
            return await cursor.fetchone()

    async def _execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; its rowcount."""
        async with self._pool.connection() as conn:
            cursor = await conn.execute(sql, params)
            return cursor.rowcount


def where(clauses: Sequence[str]) -> str:
    return (" WHERE " + " AND ".join(clauses)) if clauses else ""
