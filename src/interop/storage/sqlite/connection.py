"""The one SQLite connection, owned by one database thread, and the plumbing every table uses.

Every storage operation is one function run on that thread (one hop from the event loop,
whatever the number of statements), so the loop never blocks on disk and SQLite never sees two
writers from this process. WAL mode with synchronous=NORMAL: durable against process crashes.
"""

from __future__ import annotations

import asyncio
import functools
import re
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import orjson

from interop.storage.sqlite.schema import ADAPTERS_SCHEMA, SCHEMA, add_columns


def to_json(value: Any) -> str:
    return orjson.dumps(value).decode()


def from_json(text: str | bytes | None) -> Any:
    return None if text is None else orjson.loads(text)


def to_text(value: datetime) -> str:
    return value.isoformat()


def to_datetime(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def json_contains(document: Any, expected: Any) -> bool:
    """JSON containment (as Postgres `@>`): every key of an expected object is in the document
    with a contained value; an expected array's items each appear in the document's array."""
    if isinstance(expected, dict):
        return isinstance(document, dict) and all(
            key in document and json_contains(document[key], value)
            for key, value in expected.items()
        )
    if isinstance(expected, list):
        return isinstance(document, list) and all(
            any(json_contains(item, want) for item in document) for want in expected
        )
    if isinstance(expected, bool) or isinstance(document, bool):
        return type(document) is type(expected) and document == expected
    return bool(document == expected)


def sql_json_contains(document: str | bytes | None, expected: str) -> int:
    if document is None:
        return 0
    return int(json_contains(orjson.loads(document), orjson.loads(expected)))


def json_filters(column: str, filters: dict[str, Any] | None) -> tuple[list[str], list[Any]]:
    """SQL conditions that hold when `column` contains `filters` (JSON containment).

    The exact test is `json_contains`, a Python function that parses every row it sees. Before
    it come SQLite's own json_extract/json_type tests of each top-level key (a necessary
    condition, never a sufficient one), which reject most rows in C: a filtered search over
    20,000 threads no longer parses 20,000 documents in Python."""
    if not filters:
        return [], []
    clauses: list[str] = []
    params: list[Any] = []
    for key, value in filters.items():
        if not _PLAIN_KEY.match(key):
            continue  # a key that would need escaping in a JSON path: the exact test only
        path = f'$."{key}"'
        if isinstance(value, bool) or value is None or isinstance(value, dict | list):
            clauses.append(f"json_type({column}, ?) = ?")
            params += [path, _json_type(value)]
        elif isinstance(value, str) or (isinstance(value, int | float) and abs(value) < 2**53):
            clauses.append(f"json_extract({column}, ?) = ?")
            params += [path, value]
    clauses.append(f"json_contains({column}, ?)")
    params.append(to_json(filters))
    return [" AND ".join(clauses)], params


_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]+\Z")


def _json_type(value: bool | dict[str, Any] | list[Any] | None) -> str:
    """What SQLite's json_type() says of a JSON value like `value`."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return "object" if isinstance(value, dict) else "array"


T = TypeVar("T")


class DbThread:
    """The one thread that owns the SQLite connection; `run` executes a function there."""

    def __init__(self, path: str) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="interop-sqlite")
        self._path = path
        self.conn: sqlite3.Connection | None = None

    def _open(self) -> sqlite3.Connection:
        if self._path != ":memory:":
            Path(self._path).parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self._path, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.create_function("json_contains", 2, sql_json_contains, deterministic=True)
        for pragma in (
            "PRAGMA journal_mode=WAL",
            "PRAGMA synchronous=NORMAL",
            "PRAGMA busy_timeout=5000",
        ):
            conn.execute(pragma).close()
        conn.executescript(SCHEMA)
        conn.executescript(ADAPTERS_SCHEMA)
        add_columns(conn)
        conn.commit()
        return conn

    async def start(self) -> sqlite3.Connection:
        self.conn = await self.run(self._open)
        return self.conn

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(fn, *args, **kwargs))

    async def close(self) -> None:
        if self.conn is not None:
            await self.run(self.conn.close)
            self.conn = None
        self._executor.shutdown(wait=True)


Statement = tuple[str, Sequence[Any]]


class Tables:
    """Shared plumbing: statements run on the database thread, one hop per call."""

    def __init__(self, db: DbThread) -> None:
        self._db = db

    @property
    def _conn(self) -> sqlite3.Connection:
        assert self._db.conn is not None
        return self._db.conn

    def _fetch(self, sql: str, params: Sequence[Any]) -> list[sqlite3.Row]:
        cursor = self._conn.execute(sql, params)
        try:
            return cursor.fetchall()
        finally:
            cursor.close()

    async def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        return await self._db.run(self._fetch, sql, params)

    async def _row(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        rows = await self._rows(sql, params)
        return rows[0] if rows else None

    def _transaction(self, statements: Sequence[Statement]) -> list[int]:
        conn = self._conn
        counts: list[int] = []
        try:
            for sql, params in statements:
                cursor = conn.execute(sql, params)
                counts.append(cursor.rowcount)
                cursor.close()
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
        return counts

    async def _write(self, statements: Sequence[Statement]) -> list[int]:
        """Run `statements` in one transaction; returns each statement's rowcount."""
        return await self._db.run(self._transaction, statements)
