"""SQLite storage: assistants, threads and runs in our tables; checkpoints through LangGraph's
SqliteSaver; all on one connection owned by one database thread (see `connection`)."""

from __future__ import annotations

import asyncio
import functools
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

import aiosqlite
from langgraph.checkpoint.base import CheckpointTuple
from langgraph.store.sqlite.aio import AsyncSqliteStore

from interop.core.models import Run, Thread
from interop.core.store import StoreSettings
from interop.storage.errors import StorageUnavailable
from interop.storage.sqlite import lock
from interop.storage.sqlite.adapters import SqliteAdapters
from interop.storage.sqlite.assistants import SqliteAssistants
from interop.storage.sqlite.checkpoints import InteropSqliteSaver, SqliteCheckpoints, ThreadedSaver
from interop.storage.sqlite.connection import DbThread, Statement
from interop.storage.sqlite.crons import SCHEMA as CRONS_SCHEMA
from interop.storage.sqlite.crons import SqliteCrons
from interop.storage.sqlite.lock import DatabaseInUse
from interop.storage.sqlite.runs import SqliteRuns, run_insert
from interop.storage.sqlite.thread_ttl import SqliteThreadTtl
from interop.storage.sqlite.threads import SqliteThreads, thread_insert


@dataclass(slots=True)
class _Adoption:
    thread: Thread
    run: Run
    checkpoints: list[CheckpointTuple]
    done: asyncio.Future[None]


def _settle(done: asyncio.Future[None], error: BaseException | None) -> None:
    if done.done():
        return
    if error is None:
        done.set_result(None)
    else:
        done.set_exception(error)


class SqliteStorage:
    """The core's Storage protocol on one SQLite database file."""

    def __init__(self, path: str, store: StoreSettings | None = None) -> None:
        self.path = path
        self.store_settings = store or StoreSettings()
        self._db: DbThread | None = None
        self._store_conn: aiosqlite.Connection | None = None
        self._adoptions: list[_Adoption] = []
        self._adopter: asyncio.Task[None] | None = None
        self._lock: str | None = None

    async def setup(self) -> None:
        """Lock the database file for this process (DatabaseInUse when another process holds
        it: before anything, recovery included, can touch another server's runs), open it and
        create the tables."""
        if self._db is not None:
            return
        if self.path != ":memory:" and self._lock is None:
            self._lock = lock.acquire(self.path)
        db = DbThread(self.path)
        try:
            conn = await db.start()
            sync = InteropSqliteSaver(conn)
            await db.run(sync.setup)
            await db.run(conn.executescript, CRONS_SCHEMA)
        except BaseException:
            await db.close()
            self._release()
            raise
        self._db = db
        self.assistants = SqliteAssistants(db)
        self.threads = SqliteThreads(db)
        self.runs = SqliteRuns(db)
        self.crons = SqliteCrons(db)
        self.thread_ttl = SqliteThreadTtl(db)
        self.checkpoints = SqliteCheckpoints(ThreadedSaver(sync, db))
        self.adapters = SqliteAdapters(db)
        self._sync = sync
        try:
            self.store = await self._open_store()
        except BaseException:
            await self.close()
            raise

    async def _open_store(self) -> AsyncSqliteStore:
        """LangGraph's AsyncSqliteStore on its own connection to the same file (its tables
        beside ours; `:memory:` gets a store of its own), its TTL sweeper started."""
        settings = self.store_settings
        conn = _store_connection(self.path, vectors=settings.index is not None)
        await conn
        self._store_conn = conn
        store = AsyncSqliteStore(conn, index=settings.index, ttl=settings.ttl)
        await store.setup()
        if settings.sweep_minutes is not None:
            await store.start_ttl_sweeper(settings.sweep_minutes)  # type: ignore[arg-type]
        return store

    async def adopt(self, thread: Thread, run: Run, checkpoints: Sequence[CheckpointTuple]) -> None:
        """Write a thread that lived in memory until its first run ended: its checkpoints, its
        row and the run's, in one transaction.

        Adoptions that arrive while one is being written are written together, in one
        transaction and one hop to the database thread (group commit): each returns once its
        own is committed, so a caller never answers before the thread is stored."""
        done = asyncio.get_running_loop().create_future()
        self._adoptions.append(_Adoption(thread, run, list(checkpoints), done))
        if self._adopter is None or self._adopter.done():
            self._adopter = asyncio.create_task(self._adopt_pending(), name="interop-adopt")
        await done

    async def _adopt_pending(self) -> None:
        assert self._db is not None
        while self._adoptions:
            batch, self._adoptions = self._adoptions, []
            try:
                await self._db.run(self._adopt, batch)
            except Exception:  # noqa: BLE001 - one bad item must not fail the others
                for item in batch:
                    try:
                        await self._db.run(self._adopt, [item])
                    except Exception as exc:  # noqa: BLE001 - handed to its caller
                        _settle(item.done, exc)
                    else:
                        _settle(item.done, None)
            else:
                for item in batch:
                    _settle(item.done, None)

    def _adopt(self, batch: list[_Adoption]) -> None:
        statements: list[Statement] = []
        try:
            for item in batch:
                self._sync.import_checkpoints(item.checkpoints)
                statements += [thread_insert(item.thread), run_insert(item.run)]
        except BaseException:
            self.runs._conn.rollback()
            raise
        self.runs._transaction(statements)

    async def close(self) -> None:
        if self._adopter is not None:
            # Adoptions already handed over are written before the database closes.
            await asyncio.gather(self._adopter, return_exceptions=True)
        store: AsyncSqliteStore | None = getattr(self, "store", None)
        if store is not None:
            await store.stop_ttl_sweeper(timeout=5)
        if self._store_conn is not None:
            await self._store_conn.close()
            self._store_conn = None
        if self._db is not None:
            await self._db.close()
            self._db = None
        self._release()

    def _release(self) -> None:
        if self._lock is not None:
            lock.release(self._lock)
            self._lock = None


__all__ = ["DatabaseInUse", "SqliteStorage"]


def _store_connection(path: str, *, vectors: bool) -> aiosqlite.Connection:
    """The store's connection. A semantic index needs the sqlite-vec extension loaded, which
    this Python's `sqlite3` may not allow (some builds leave out extension loading): then the
    connection is made through `pysqlite3` (SQLite built with extension loading; a dependency
    of interop on Linux x86-64, where it has wheels)."""
    if not vectors or hasattr(sqlite3.Connection, "enable_load_extension"):
        return aiosqlite.connect(path, isolation_level=None, timeout=30)
    try:
        from pysqlite3 import dbapi2
    except ImportError:
        raise StorageUnavailable(
            "store.index needs the sqlite-vec extension, and this Python's sqlite3 module "
            "cannot load extensions: install pysqlite3 (SQLite with extension loading), use "
            "a Python built with extension loading, or PostgreSQL (pgvector)"
        ) from None
    return aiosqlite.Connection(
        functools.partial(dbapi2.connect, path, isolation_level=None, timeout=30),
        iter_chunk_size=64,
    )
