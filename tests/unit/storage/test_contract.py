"""The storage contract (interop.core.storage) over every backend: each test runs once per
backend named in BACKENDS. A backend joins by adding its name and how to open a fresh, empty
database for one test (`_open_url`)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypedDict

import pytest
from langchain_core.runnables import RunnableConfig
from langgraph.graph import END, START, StateGraph
from tests.databases import empty_tables

from interop.core.ids import new_id, now
from interop.core.models import Assistant, Run, ThreadStatus
from interop.core.storage import AdapterRecord, Storage
from interop.examples import echo
from interop.storage import open_storage

from .records import _assistant, _new_thread, _run, _thread, finish_success


async def _sqlite_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'contract.sqlite'}"


async def _postgres_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    url: str = request.getfixturevalue("postgres_url")  # the session's database (conftest.py)
    empty_tables(url)
    return url


# name -> coroutine giving the URL of a fresh, empty database for one test
BACKENDS: dict[str, Callable[[pytest.FixtureRequest, Path], Awaitable[str]]] = {
    "sqlite": _sqlite_url,
    "postgres": _postgres_url,
}


# Overrides the unit tests' `db_url`, so their `storage` fixture opens each backend in turn.
@pytest.fixture(params=sorted(BACKENDS))
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return await BACKENDS[request.param](request, tmp_path)


# -- assistants --------------------------------------------------------------------------------


async def test_assistant_create_and_get(storage: Storage) -> None:
    a = _assistant(metadata={"owner": "ann"})
    assert await storage.assistants.create(a)
    got = await storage.assistants.get(a.assistant_id)
    assert got is not None
    assert got.assistant_id == a.assistant_id
    assert got.graph_id == "echo"
    assert got.config == {"configurable": {"k": 1}}
    assert got.context == {"c": 1}
    assert got.metadata == {"owner": "ann"}
    assert got.version == 1
    assert got.created_at == a.created_at
    assert got.created_at.tzinfo is not None
    assert await storage.assistants.get(new_id()) is None


async def test_assistant_create_existing_id_writes_nothing(storage: Storage) -> None:
    a = _assistant(name="first")
    assert await storage.assistants.create(a)
    again = _assistant(a.assistant_id, name="second")
    assert not await storage.assistants.create(again)
    got = await storage.assistants.get(a.assistant_id)
    assert got is not None and got.name == "first"
    versions = await storage.assistants.versions(a.assistant_id, metadata=None, limit=10, offset=0)
    assert [v.version for v in versions] == [1]


async def _new_version(storage: Storage, assistant_id: str, **fields: Any) -> Assistant:
    """What the service does for an update: the current record with some fields replaced."""
    current = await storage.assistants.get(assistant_id)
    assert current is not None
    stored = await storage.assistants.add_version(replace(current, **fields, updated_at=now()))
    assert stored is not None
    return stored


async def test_assistant_add_version_stores_the_record_as_given(storage: Storage) -> None:
    a = _assistant(name="v1", metadata={"keep": 1})
    await storage.assistants.create(a)
    stamp = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    record = replace(a, name="v2", metadata={"new": True}, version=77, updated_at=stamp)
    v2 = await storage.assistants.add_version(record)
    # the backend numbers versions; every other field is stored as given (no merging)
    assert v2 == replace(record, version=2)
    got = await storage.assistants.get(a.assistant_id)
    assert got == v2
    v3 = await _new_version(storage, a.assistant_id, config={"configurable": {"k": 3}})
    assert v3.version == 3
    assert v3.name == "v2"
    assert v3.config == {"configurable": {"k": 3}}
    assert v3.created_at == a.created_at


async def test_assistant_add_version_unknown(storage: Storage) -> None:
    assert await storage.assistants.add_version(_assistant()) is None


async def test_assistant_add_version_numbers_concurrent_versions_apart(storage: Storage) -> None:
    a = _assistant()
    await storage.assistants.create(a)
    stored = await asyncio.gather(
        *(storage.assistants.add_version(replace(a, name=f"n{i}")) for i in range(8))
    )
    assert sorted(s.version for s in stored if s is not None) == list(range(2, 10))
    versions = await storage.assistants.versions(a.assistant_id, metadata=None, limit=20, offset=0)
    assert [v.version for v in versions] == list(range(9, 0, -1))


async def test_assistant_versions_newest_first(storage: Storage) -> None:
    a = _assistant(name="n1", metadata={"tag": "one"})
    await storage.assistants.create(a)
    await _new_version(storage, a.assistant_id, name="n2", metadata={"tag": "two"})
    await _new_version(storage, a.assistant_id, name="n3", metadata={"tag": "three"})
    versions = await storage.assistants.versions(a.assistant_id, metadata=None, limit=10, offset=0)
    assert [(v.version, v.name) for v in versions] == [(3, "n3"), (2, "n2"), (1, "n1")]
    page = await storage.assistants.versions(a.assistant_id, metadata=None, limit=1, offset=1)
    assert [v.version for v in page] == [2]
    tagged = await storage.assistants.versions(
        a.assistant_id, metadata={"tag": "two"}, limit=10, offset=0
    )
    assert [v.version for v in tagged] == [2]


async def test_assistant_set_latest(storage: Storage) -> None:
    a = _assistant(name="n1", metadata={"tag": "one"})
    await storage.assistants.create(a)
    await _new_version(storage, a.assistant_id, name="n2", metadata={"tag": "two"})
    stamp = datetime(2031, 1, 1, tzinfo=UTC)
    back = await storage.assistants.set_latest(a.assistant_id, 1, at=stamp)
    assert back is not None
    assert back.updated_at == stamp
    assert back.version == 1
    assert back.name == "n1"
    assert back.metadata == {"tag": "one"}
    got = await storage.assistants.get(a.assistant_id)
    assert got is not None and got.version == 1 and got.name == "n1"
    # the next update gets a version number never used before
    v3 = await _new_version(storage, a.assistant_id, name="n3")
    assert v3.version == 3
    assert await storage.assistants.set_latest(a.assistant_id, 99, at=now()) is None
    assert await storage.assistants.set_latest(new_id(), 1, at=now()) is None
    got = await storage.assistants.get(a.assistant_id)
    assert got is not None and got.version == 3


async def test_assistant_delete_removes_versions(storage: Storage) -> None:
    a = _assistant()
    await storage.assistants.create(a)
    await _new_version(storage, a.assistant_id, name="x")
    assert await storage.assistants.delete(a.assistant_id)
    assert await storage.assistants.get(a.assistant_id) is None
    assert (
        await storage.assistants.versions(a.assistant_id, metadata=None, limit=10, offset=0) == []
    )
    assert not await storage.assistants.delete(a.assistant_id)


@pytest.fixture
async def filterable(storage: Storage) -> dict[str, Assistant]:
    records = {
        "a1": _assistant(
            name="alpha",
            graph_id="echo",
            metadata={
                "owner": "ann",
                "n": 1,
                "flag": True,
                "gone": None,
                "nested": {"k": "v", "x": [1, 2]},
                "a.b": "dotted",
            },
            offset=0,
        ),
        "a2": _assistant(
            name="beta",
            graph_id="approval",
            metadata={"owner": "bob", "n": 2, "flag": False, "nested": {"k": "w"}},
            offset=1,
        ),
        "a3": _assistant(
            name="alphabet",
            graph_id="echo",
            metadata={"owner": "ann", "n": "1", "flag": 1},
            offset=2,
        ),
    }
    for record in records.values():
        assert await storage.assistants.create(record)
    return records


async def _names(storage: Storage, **filters: Any) -> set[str]:
    found = await storage.assistants.search(
        graph_id=filters.pop("graph_id", None),
        name=filters.pop("name", None),
        metadata=filters.pop("metadata", None),
        limit=100,
        offset=0,
        sort_by="created_at",
        sort_order="desc",
    )
    return {a.name for a in found}


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [
        ({"owner": "ann"}, {"alpha", "alphabet"}),
        ({"n": 1}, {"alpha"}),
        ({"n": "1"}, {"alphabet"}),
        ({"flag": True}, {"alpha"}),
        ({"flag": False}, {"beta"}),
        ({"gone": None}, {"alpha"}),
        ({"nested": {"k": "v", "x": [1, 2]}}, {"alpha"}),
        ({"nested": {"k": "w"}}, {"beta"}),
        # containment, as the reference's Postgres `metadata @> filter`
        ({"nested": {"k": "v"}}, {"alpha"}),
        ({"nested": {"x": [2]}}, {"alpha"}),
        ({"nested": {"k": "v", "missing": 1}}, set()),
        ({"owner": "ann", "n": 1}, {"alpha"}),
        ({"owner": "nobody"}, set()),
        ({"a.b": "dotted"}, {"alpha"}),
        ({}, {"alpha", "beta", "alphabet"}),
    ],
)
async def test_assistant_search_metadata_filters(
    storage: Storage,
    filterable: dict[str, Assistant],
    metadata: dict[str, Any],
    expected: set[str],
) -> None:
    assert await _names(storage, metadata=metadata) == expected
    count = await storage.assistants.count(graph_id=None, name=None, metadata=metadata)
    assert count == len(expected)


async def test_assistant_search_nested_filter_ignores_key_order(
    storage: Storage, filterable: dict[str, Assistant]
) -> None:
    # JSON objects are unordered: the same object written in another key order must match.
    assert await _names(storage, metadata={"nested": {"x": [1, 2], "k": "v"}}) == {"alpha"}


async def test_assistant_search_graph_and_name(
    storage: Storage, filterable: dict[str, Assistant]
) -> None:
    assert await _names(storage, graph_id="echo") == {"alpha", "alphabet"}
    assert await _names(storage, name="alpha") == {"alpha", "alphabet"}
    assert await _names(storage, graph_id="approval", name="alpha") == set()
    assert await storage.assistants.count(graph_id="echo", name=None, metadata=None) == 2


async def test_assistant_search_sort_limit_offset(
    storage: Storage, filterable: dict[str, Assistant]
) -> None:
    async def names(**kwargs: Any) -> list[str]:
        found = await storage.assistants.search(graph_id=None, name=None, metadata=None, **kwargs)
        return [a.name for a in found]

    assert await names(limit=10, offset=0, sort_by="created_at", sort_order="desc") == [
        "alphabet",
        "beta",
        "alpha",
    ]  # default: newest first
    assert await names(limit=10, offset=0, sort_by="created_at", sort_order="asc") == [
        "alpha",
        "beta",
        "alphabet",
    ]
    assert await names(limit=10, offset=0, sort_by="name", sort_order="asc") == [
        "alpha",
        "alphabet",
        "beta",
    ]
    assert await names(limit=10, offset=0, sort_by="name", sort_order="desc") == [
        "beta",
        "alphabet",
        "alpha",
    ]
    assert await names(limit=2, offset=0, sort_by="name", sort_order="asc") == [
        "alpha",
        "alphabet",
    ]
    assert await names(limit=2, offset=2, sort_by="name", sort_order="asc") == ["beta"]
    assert await names(limit=2, offset=5, sort_by="name", sort_order="asc") == []
    assert await storage.assistants.count(graph_id=None, name=None, metadata=None) == 3


# -- threads -----------------------------------------------------------------------------------


async def test_thread_create_get_and_duplicate(storage: Storage) -> None:
    t = _thread(metadata={"owner": "ann"})
    assert await storage.threads.create(t)
    got = await storage.threads.get(t.thread_id)
    assert got is not None
    assert got.metadata == {"owner": "ann"}
    assert got.status == "idle"
    assert got.values is None
    assert got.interrupts == {}
    assert not await storage.threads.create(_thread(t.thread_id, metadata={"owner": "bob"}))
    again = await storage.threads.get(t.thread_id)
    assert again is not None and again.metadata == {"owner": "ann"}
    assert await storage.threads.get(new_id()) is None


async def test_thread_set_metadata_replaces(storage: Storage) -> None:
    t = await _new_thread(storage, metadata={"keep": 1, "cfg": {"a": 1}})
    stamp = datetime(2030, 5, 6, tzinfo=UTC)
    # the service merges; the store writes what it is given, nulls included
    assert await storage.threads.set_metadata(
        t.thread_id, {"gone": None, "cfg": {"b": 2}}, at=stamp
    )
    got = await storage.threads.get(t.thread_id)
    assert got is not None
    assert got.metadata == {"gone": None, "cfg": {"b": 2}}
    assert got.updated_at == stamp
    assert await storage.threads.metadata(t.thread_id) == {"gone": None, "cfg": {"b": 2}}
    assert await storage.threads.metadata(new_id()) is None
    assert not await storage.threads.set_metadata(new_id(), {"a": 1}, at=stamp)


async def test_thread_set_state_and_status(storage: Storage) -> None:
    t = await _new_thread(storage)
    interrupts = {"task1": [{"id": "i1", "value": {"q": 1}}]}
    stamp = datetime(2030, 1, 1, tzinfo=UTC)
    await storage.threads.set_state(
        t.thread_id, status="interrupted", values={"messages": [1]}, interrupts=interrupts, at=stamp
    )
    got = await storage.threads.get(t.thread_id)
    assert got is not None
    assert got.status == "interrupted"
    assert got.values == {"messages": [1]}
    assert got.interrupts == interrupts
    assert got.state_updated_at == stamp and got.updated_at == stamp
    later = stamp + timedelta(seconds=1)
    await storage.threads.set_status(t.thread_id, "busy", at=later)
    got = await storage.threads.get(t.thread_id)
    assert got is not None and got.status == "busy" and got.values == {"messages": [1]}
    assert got.updated_at == later and got.state_updated_at == stamp


async def test_thread_delete_deletes_its_runs(storage: Storage) -> None:
    t = await _new_thread(storage)
    other = await _new_thread(storage)
    run = _run(t.thread_id)
    kept = _run(other.thread_id)
    await storage.runs.create(run, reject_if_inflight=False)
    await storage.runs.create(kept, reject_if_inflight=False)
    assert await storage.threads.delete(t.thread_id)
    assert await storage.threads.get(t.thread_id) is None
    assert await storage.runs.get(run.run_id) is None
    assert await storage.runs.get(kept.run_id) is not None
    assert not await storage.threads.delete(t.thread_id)


async def test_thread_search_and_count(storage: Storage) -> None:
    t1 = await _new_thread(storage, metadata={"owner": "ann", "n": 1}, offset=0)
    t2 = await _new_thread(storage, metadata={"owner": "bob", "n": 2}, offset=1)
    t3 = await _new_thread(storage, metadata={"owner": "ann", "flag": True}, offset=2)
    await storage.threads.set_state(
        t2.thread_id, status="error", values={"v": 1}, interrupts={}, at=now()
    )
    await storage.threads.set_state(
        t3.thread_id, status="idle", values={"v": 2}, interrupts={}, at=now()
    )

    async def ids(**kwargs: Any) -> list[str]:
        params: dict[str, Any] = {
            "ids": None,
            "metadata": None,
            "values": None,
            "status": None,
            "limit": 10,
            "offset": 0,
            "sort_by": "created_at",
            "sort_order": "desc",
        }
        params.update(kwargs)
        return [t.thread_id for t in await storage.threads.search(**params)]

    assert await ids() == [t3.thread_id, t2.thread_id, t1.thread_id]
    assert await ids(sort_by="created_at", sort_order="asc") == [
        t1.thread_id,
        t2.thread_id,
        t3.thread_id,
    ]
    assert set(await ids(metadata={"owner": "ann"})) == {t1.thread_id, t3.thread_id}
    assert await ids(metadata={"flag": True}) == [t3.thread_id]
    assert await ids(values={"v": 1}) == [t2.thread_id]
    assert await ids(status="error") == [t2.thread_id]
    assert set(await ids(ids=[t1.thread_id, t2.thread_id])) == {t1.thread_id, t2.thread_id}
    assert await ids(limit=1, offset=1, sort_by="created_at", sort_order="asc") == [t2.thread_id]

    assert await storage.threads.count(metadata=None, values=None, status=None) == 3
    assert await storage.threads.count(metadata={"owner": "ann"}, values=None, status=None) == 2
    assert await storage.threads.count(metadata=None, values=None, status="idle") == 2
    assert await storage.threads.count(metadata=None, values={"v": 2}, status=None) == 1


@pytest.mark.parametrize(
    ("document", "matches", "misses"),
    [
        # JSON types are told apart: true is not 1, "1" is not 1, null is not absent
        (
            {"flag": True, "n": 1, "s": "1", "none": None},
            [{"flag": True}, {"n": 1}, {"n": 1.0}, {"s": "1"}, {"none": None}],
            [{"flag": 1}, {"n": True}, {"n": "1"}, {"s": 1}, {"none": False}, {"absent": None}],
        ),
        # nested objects and arrays by containment; keys that need quoting in a JSON path
        (
            {"a": {"b": [1, 2, {"c": "d"}]}, "tags": ["x", "y"], "dotted.key": "v", 'q"k': 1},
            [
                {"a": {"b": [2]}},
                {"a": {"b": [{"c": "d"}]}},
                {"tags": ["y", "x"]},
                {"tags": []},
                {"dotted.key": "v"},
                {'q"k': 1},
            ],
            [
                {"a": {"b": [3]}},
                {"a": {"b": 1}},
                {"tags": ["z"]},
                {"dotted.key": "w"},
                {"dotted": {"key": "v"}},
                {"a": []},
            ],
        ),
    ],
)
async def test_metadata_filters_match_by_json_containment(
    storage: Storage,
    document: dict[str, Any],
    matches: list[dict[str, Any]],
    misses: list[dict[str, Any]],
) -> None:
    target = await _new_thread(storage, metadata=document)
    await _new_thread(storage, metadata={"other": True})
    for expected, found in [(m, [target.thread_id]) for m in matches] + [(m, []) for m in misses]:
        got = await storage.threads.search(
            ids=None,
            metadata=expected,
            values=None,
            status=None,
            limit=10,
            offset=0,
            sort_by="created_at",
            sort_order="desc",
        )
        assert [t.thread_id for t in got] == found, expected
        count = await storage.threads.count(metadata=expected, values=None, status=None)
        assert count == len(found), expected


# -- runs --------------------------------------------------------------------------------------


async def test_run_create_marks_thread_busy(storage: Storage) -> None:
    t = await _new_thread(storage)
    run = _run(t.thread_id)
    assert await storage.runs.create(run, reject_if_inflight=True)
    got = await storage.runs.get(run.run_id)
    assert got == run
    assert got.kwargs == run.kwargs
    assert got.metadata == {"m": 1}
    assert got.attempt == 1
    assert not got.temporary
    thread = await storage.threads.get(t.thread_id)
    assert thread is not None and thread.status == "busy"
    assert thread.updated_at == run.created_at


async def test_run_create_reject_if_inflight(storage: Storage) -> None:
    t = await _new_thread(storage)
    first = _run(t.thread_id)
    await storage.runs.create(first, reject_if_inflight=True)
    second = _run(t.thread_id, offset=1)
    assert not await storage.runs.create(second, reject_if_inflight=True)
    assert await storage.runs.get(second.run_id) is None
    assert [r.run_id for r in await storage.runs.inflight(t.thread_id)] == [first.run_id]
    # without the check the same insert goes through
    assert await storage.runs.create(second, reject_if_inflight=False)
    assert await storage.runs.get(second.run_id) is not None


async def test_run_create_reject_only_counts_inflight_runs(storage: Storage) -> None:
    t = await _new_thread(storage)
    done = _run(t.thread_id)
    await storage.runs.create(done, reject_if_inflight=True)
    await storage.runs.set_status(done.run_id, "success", at=now())
    fresh = _run(t.thread_id, offset=1)
    await storage.runs.create(fresh, reject_if_inflight=True)
    assert await storage.runs.get(fresh.run_id) is not None


async def test_run_create_reject_is_atomic_under_concurrency(storage: Storage) -> None:
    t = await _new_thread(storage)
    attempts = [_run(t.thread_id, offset=i) for i in range(10)]
    results = await asyncio.gather(
        *(storage.runs.create(r, reject_if_inflight=True) for r in attempts)
    )
    assert results.count(True) == 1 and results.count(False) == len(attempts) - 1
    assert len(await storage.runs.inflight(t.thread_id)) == 1


async def test_run_inflight_oldest_first(storage: Storage) -> None:
    t = await _new_thread(storage)
    runs = [_run(t.thread_id, offset=i) for i in range(4)]
    for run in reversed(runs):  # insertion order must not matter
        await storage.runs.create(run, reject_if_inflight=False)
    await storage.runs.set_status(runs[1].run_id, "running", at=now())
    await storage.runs.set_status(runs[2].run_id, "success", at=now())
    inflight = await storage.runs.inflight(t.thread_id)
    assert [r.run_id for r in inflight] == [runs[0].run_id, runs[1].run_id, runs[3].run_id]


async def test_run_list_newest_first_with_status_filter(storage: Storage) -> None:
    t = await _new_thread(storage)
    other = await _new_thread(storage)
    runs = [_run(t.thread_id, offset=i) for i in range(3)]
    for run in runs:
        await storage.runs.create(run, reject_if_inflight=False)
    await storage.runs.create(_run(other.thread_id), reject_if_inflight=False)
    await storage.runs.set_status(runs[0].run_id, "success", at=now())

    async def listed(**kwargs: Any) -> list[str]:
        params: dict[str, Any] = {"limit": 10, "offset": 0, "status": None}
        params.update(kwargs)
        return [r.run_id for r in await storage.runs.for_thread(t.thread_id, **params)]

    assert await listed() == [runs[2].run_id, runs[1].run_id, runs[0].run_id]
    assert await listed(status="success") == [runs[0].run_id]
    assert await listed(status="pending") == [runs[2].run_id, runs[1].run_id]
    assert await listed(limit=1, offset=1) == [runs[1].run_id]


async def test_run_get_scoped_to_thread(storage: Storage) -> None:
    t = await _new_thread(storage)
    run = _run(t.thread_id)
    await storage.runs.create(run, reject_if_inflight=False)
    assert await storage.runs.get(run.run_id, t.thread_id) is not None
    assert await storage.runs.get(run.run_id, new_id()) is None
    assert await storage.runs.get(new_id()) is None


async def test_run_set_status_with_attempt(storage: Storage) -> None:
    t = await _new_thread(storage)
    run = _run(t.thread_id)
    await storage.runs.create(run, reject_if_inflight=False)
    await storage.runs.set_status(run.run_id, "running", at=now())
    got = await storage.runs.get(run.run_id)
    assert got is not None and got.status == "running" and got.attempt == 1
    stamp = datetime(2030, 3, 3, tzinfo=UTC)
    await storage.runs.set_status(run.run_id, "pending", attempt=2, at=stamp)
    got = await storage.runs.get(run.run_id)
    assert got is not None and got.status == "pending" and got.attempt == 2
    assert got.updated_at == stamp


async def test_run_finish_updates_run_and_thread(storage: Storage) -> None:
    t = await _new_thread(storage)
    run = _run(t.thread_id)
    await storage.runs.create(run, reject_if_inflight=False)
    interrupts = {"task": [{"id": "i", "value": 1}]}
    await storage.runs.finish(
        run.run_id,
        "success",
        thread_id=t.thread_id,
        thread_status="interrupted",
        values={"messages": ["m"]},
        interrupts=interrupts,
        error=None,
        update_values=True,
        at=now(),
    )
    got = await storage.runs.get(run.run_id)
    thread = await storage.threads.get(t.thread_id)
    assert got is not None and got.status == "success"
    assert thread is not None
    assert thread.status == "interrupted"
    assert thread.values == {"messages": ["m"]}
    assert thread.interrupts == interrupts
    assert thread.error is None


async def test_run_finish_without_values_keeps_thread_values(storage: Storage) -> None:
    t = await _new_thread(storage)
    await storage.threads.set_state(
        t.thread_id, status="idle", values={"v": 1}, interrupts={}, at=now()
    )
    run = _run(t.thread_id)
    await storage.runs.create(run, reject_if_inflight=False)
    error = {"error": "ValueError", "message": "boom"}
    await storage.runs.finish(
        run.run_id,
        "error",
        thread_id=t.thread_id,
        thread_status="error",
        values=None,
        interrupts={},
        error=error,
        update_values=False,
        at=now(),
    )
    thread = await storage.threads.get(t.thread_id)
    assert thread is not None
    assert thread.status == "error"
    assert thread.values == {"v": 1}
    assert thread.error == error
    got = await storage.runs.get(run.run_id)
    assert got is not None and got.status == "error"


async def test_run_with_status_oldest_first(storage: Storage) -> None:
    t1 = await _new_thread(storage)
    t2 = await _new_thread(storage)
    r1 = _run(t1.thread_id, status="running", offset=0)
    r2 = _run(t2.thread_id, status="pending", offset=1)
    r3 = _run(t1.thread_id, status="running", offset=2)
    r4 = _run(t2.thread_id, status="success", offset=3)
    for run in (r3, r1, r4, r2):
        await storage.runs.create(run, reject_if_inflight=False)
    running = await storage.runs.with_status("running")
    assert [r.run_id for r in running] == [r1.run_id, r3.run_id]
    both = await storage.runs.with_status("running", "pending")
    assert [r.run_id for r in both] == [r1.run_id, r2.run_id, r3.run_id]


async def test_run_delete(storage: Storage) -> None:
    t = await _new_thread(storage)
    run = _run(t.thread_id)
    await storage.runs.create(run, reject_if_inflight=False)
    assert await storage.runs.delete(run.run_id)
    assert await storage.runs.get(run.run_id) is None
    assert not await storage.runs.delete(run.run_id)


# -- checkpoints -------------------------------------------------------------------------------


def _config(thread_id: str, run_id: str) -> RunnableConfig:
    return RunnableConfig(configurable={"thread_id": thread_id}, metadata={"run_id": run_id})


def _state_config(thread_id: str) -> RunnableConfig:
    return RunnableConfig(configurable={"thread_id": thread_id, "checkpoint_ns": ""})


async def _echo(storage: Storage, thread_id: str, run_id: str, text: str) -> dict[str, Any]:
    graph = echo.builder.compile(checkpointer=storage.checkpoints.saver)
    user = {"role": "user", "content": text}
    result: dict[str, Any] = await graph.ainvoke({"messages": [user]}, _config(thread_id, run_id))
    return result


async def _checkpoints(storage: Storage, thread_id: str) -> list[Any]:
    saver = storage.checkpoints.saver
    return [c async for c in saver.alist(_state_config(thread_id))]


async def _messages(storage: Storage, thread_id: str) -> list[str]:
    graph = echo.builder.compile(checkpointer=storage.checkpoints.saver)
    snapshot = await graph.aget_state(_state_config(thread_id))
    return [m.content for m in snapshot.values.get("messages", [])]


class _GateState(TypedDict, total=False):
    block: bool
    n: int


def _gate_graph(storage: Storage, started: asyncio.Event, release: asyncio.Event) -> Any:
    async def node(state: _GateState) -> dict[str, Any]:
        if state.get("block"):
            started.set()
            await release.wait()
        return {"n": state.get("n", 0) + 1}

    builder = StateGraph(_GateState)
    builder.add_node("node", node)
    builder.add_edge(START, "node")
    builder.add_edge("node", END)
    return builder.compile(checkpointer=storage.checkpoints.saver)


async def test_run_has_progress_after_a_finished_run(storage: Storage) -> None:
    thread_id, run_id = new_id(), new_id()
    result = await _echo(storage, thread_id, run_id, "hello there")
    assert result["messages"][-1].content == "hello there"
    assert await storage.checkpoints.run_has_progress(thread_id, run_id)
    assert not await storage.checkpoints.run_has_progress(thread_id, new_id())
    assert not await storage.checkpoints.run_has_progress(new_id(), run_id)


async def _progress_while_blocked(storage: Storage, thread_id: str, run_id: str) -> bool:
    """Start a run whose only node blocks, and ask for progress while the node is running: a
    process killed now has finished no task of this run."""
    started, release = asyncio.Event(), asyncio.Event()
    graph = _gate_graph(storage, started, release)
    task = asyncio.create_task(graph.ainvoke({"block": True}, _config(thread_id, run_id)))
    try:
        await asyncio.wait_for(started.wait(), 10)
        # the run's input checkpoint is there: the answer below is not vacuous
        async with asyncio.timeout(10):
            # checkpoints are written in the background (durability "async"): poll for it
            while not any(  # noqa: ASYNC110
                c.metadata.get("run_id") == run_id for c in await _checkpoints(storage, thread_id)
            ):
                await asyncio.sleep(0.002)
        return await storage.checkpoints.run_has_progress(thread_id, run_id)
    finally:
        release.set()
        await asyncio.wait_for(task, 10)


async def test_run_has_no_progress_while_first_task_runs(storage: Storage) -> None:
    thread_id = new_id()
    assert not await _progress_while_blocked(storage, thread_id, new_id())


async def test_second_run_on_a_thread_has_no_progress_while_first_task_runs(
    storage: Storage,
) -> None:
    """Step numbers continue across runs of a thread: a later run's input checkpoint has a
    step >= 1, yet it has finished no task."""
    thread_id = new_id()
    started, release = asyncio.Event(), asyncio.Event()
    release.set()
    graph = _gate_graph(storage, started, release)
    await graph.ainvoke({"block": False}, _config(thread_id, new_id()))
    assert not await _progress_while_blocked(storage, thread_id, new_id())


async def test_run_cancelled_mid_task_has_no_progress(storage: Storage) -> None:
    """A server that stops gracefully cancels its runs; LangGraph then records the task's
    CancelledError as a write. The cancelled task did not finish: that is no progress."""
    thread_id, run_id = new_id(), new_id()
    started, release = asyncio.Event(), asyncio.Event()
    graph = _gate_graph(storage, started, release)

    async def drive() -> None:
        # streamed the way interop.core.executor drives a run
        async for _ in graph.astream(
            {"block": True},
            _config(thread_id, run_id),
            stream_mode=["custom", "values"],
            subgraphs=True,
            durability="async",
        ):
            pass

    task = asyncio.create_task(drive())
    await asyncio.wait_for(started.wait(), 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 10)
    assert await _checkpoints(storage, thread_id)
    assert not await storage.checkpoints.run_has_progress(thread_id, run_id)


async def test_delete_for_runs_removes_only_those_runs(storage: Storage) -> None:
    thread_id, first, second = new_id(), new_id(), new_id()
    await _echo(storage, thread_id, first, "one")
    await _echo(storage, thread_id, second, "two")
    before = await _checkpoints(storage, thread_id)
    assert {c.metadata["run_id"] for c in before} == {first, second}
    await storage.checkpoints.delete_for_runs(thread_id, [second])
    after = await _checkpoints(storage, thread_id)
    assert after
    assert {c.metadata["run_id"] for c in after} == {first}
    assert await _messages(storage, thread_id) == ["one", "one"]
    assert not await storage.checkpoints.run_has_progress(thread_id, second)
    await storage.checkpoints.delete_for_runs(thread_id, [])  # no-op


async def test_delete_for_runs_is_scoped_to_the_thread(storage: Storage) -> None:
    """A copied thread carries the source's checkpoints, run ids included; rolling a run back
    on the source must not reach into the copy."""
    source, copy, run_id = new_id(), new_id(), new_id()
    await _echo(storage, source, run_id, "shared")
    await storage.checkpoints.copy_thread(source, copy)
    copied = len(await _checkpoints(storage, copy))
    await storage.checkpoints.delete_for_runs(source, [run_id])
    assert await _checkpoints(storage, source) == []
    assert len(await _checkpoints(storage, copy)) == copied
    assert await _messages(storage, copy) == ["shared", "shared"]


async def test_copy_thread(storage: Storage) -> None:
    source, target = new_id(), new_id()
    await _echo(storage, source, new_id(), "copy me")
    await storage.checkpoints.copy_thread(source, target)
    src = await _checkpoints(storage, source)
    dst = await _checkpoints(storage, target)
    assert [c.checkpoint["id"] for c in dst] == [c.checkpoint["id"] for c in src]
    assert await _messages(storage, target) == ["copy me", "copy me"]
    # the copy lives on independently
    await _echo(storage, target, new_id(), "more")
    assert await _messages(storage, target) == ["copy me", "copy me", "more", "more"]
    assert await _messages(storage, source) == ["copy me", "copy me"]


async def test_prune_keep_latest(storage: Storage) -> None:
    thread_id, other = new_id(), new_id()
    await _echo(storage, thread_id, new_id(), "one")
    await _echo(storage, thread_id, new_id(), "two")
    await _echo(storage, other, new_id(), "untouched")
    latest = (await _checkpoints(storage, thread_id))[0].checkpoint["id"]
    other_count = len(await _checkpoints(storage, other))
    await storage.checkpoints.prune([thread_id], "keep_latest")
    remaining = await _checkpoints(storage, thread_id)
    assert [c.checkpoint["id"] for c in remaining] == [latest]
    assert await _messages(storage, thread_id) == ["one", "one", "two", "two"]
    assert len(await _checkpoints(storage, other)) == other_count


async def test_prune_delete_and_delete_thread(storage: Storage) -> None:
    first, second = new_id(), new_id()
    await _echo(storage, first, new_id(), "a")
    await _echo(storage, second, new_id(), "b")
    await storage.checkpoints.prune([first], "delete")
    assert await _checkpoints(storage, first) == []
    await storage.checkpoints.delete_thread(second)
    assert await _checkpoints(storage, second) == []


# -- durability --------------------------------------------------------------------------------


async def test_data_survives_close_and_reopen(db_url: str) -> None:
    storage = await open_storage(db_url)
    a = _assistant(metadata={"owner": "ann"})
    await storage.assistants.create(a)
    await _new_version(storage, a.assistant_id, name="renamed")
    t = await _new_thread(storage, metadata={"k": "v"})
    run = _run(t.thread_id)
    await storage.runs.create(run, reject_if_inflight=False)
    await _echo(storage, t.thread_id, run.run_id, "persist")
    await finish_success(storage, run, {"v": 1})
    await storage.close()

    reopened = await open_storage(db_url)
    try:
        got = await reopened.assistants.get(a.assistant_id)
        assert got is not None and got.name == "renamed" and got.version == 2
        thread = await reopened.threads.get(t.thread_id)
        assert thread is not None
        assert thread.metadata == {"k": "v"}
        assert thread.values == {"v": 1}
        stored = await reopened.runs.get(run.run_id)
        assert stored is not None and stored.status == "success"
        assert await _messages(reopened, t.thread_id) == ["persist", "persist"]
        assert await reopened.checkpoints.run_has_progress(t.thread_id, run.run_id)
    finally:
        await reopened.close()


async def test_setup_is_idempotent(storage: Storage) -> None:
    t = await _new_thread(storage)
    await storage.setup()
    assert await storage.threads.get(t.thread_id) is not None


# -- adopting in-memory threads (group commit) -------------------------------------------------


async def _memory_checkpoints(thread_id: str, text: str) -> list[Any]:
    """The checkpoints an echo run leaves in an in-memory saver."""
    from langgraph.checkpoint.memory import InMemorySaver

    saver = InMemorySaver()
    graph = echo.graph.copy(update={"checkpointer": saver})
    config: RunnableConfig = {"configurable": {"thread_id": thread_id}}
    await graph.ainvoke({"messages": [{"role": "user", "content": text}]}, config)
    return [item async for item in saver.alist(config)]


async def test_concurrent_adoptions_are_all_stored(storage: Storage) -> None:
    threads = [_thread() for _ in range(12)]
    runs = [_run(t.thread_id, status="success") for t in threads]
    checkpoints = [await _memory_checkpoints(t.thread_id, f"m{i}") for i, t in enumerate(threads)]
    await asyncio.gather(
        *(storage.adopt(t, r, c) for t, r, c in zip(threads, runs, checkpoints, strict=True))
    )
    for i, (thread, run) in enumerate(zip(threads, runs, strict=True)):
        assert await storage.threads.get(thread.thread_id) is not None
        stored = await storage.runs.get(run.run_id)
        assert stored is not None and stored.status == "success"
        tip = await storage.checkpoints.saver.aget_tuple(
            {"configurable": {"thread_id": thread.thread_id, "checkpoint_ns": ""}}
        )
        assert tip is not None
        assert tip.checkpoint["channel_values"]["messages"][-1].content == f"m{i}"


# -- run claims --------------------------------------------------------------------------------


async def test_claim_takes_the_oldest_run_of_each_free_thread(storage: Storage) -> None:
    t1, t2 = await _new_thread(storage), await _new_thread(storage)
    first = _run(t1.thread_id, offset=0)
    second = _run(t1.thread_id, offset=1)
    other = _run(t2.thread_id, offset=2)
    for run in (first, second, other):
        assert await storage.runs.create(run, reject_if_inflight=False)
    at = now()
    claimed = await storage.runs.claim("w1", at=at, until=at + timedelta(seconds=30), limit=10)
    # one per thread, oldest first; each running under a new attempt (the fencing token)
    assert [(r.run_id, r.status, r.attempt) for r in claimed] == [
        (first.run_id, "running", 1),
        (other.run_id, "running", 1),
    ]
    stored = await storage.runs.get(first.run_id)
    assert stored is not None and stored.status == "running" and stored.attempt == 1
    # the thread's next run waits while its running run holds a live lease
    assert await storage.runs.claim("w2", at=at, until=at + timedelta(seconds=30), limit=10) == []
    await finish_success(storage, first, {"v": 1})
    again = await storage.runs.claim("w2", at=at, until=at + timedelta(seconds=30), limit=10)
    assert [r.run_id for r in again] == [second.run_id]


async def test_claim_respects_its_limit(storage: Storage) -> None:
    for i in range(3):
        t = await _new_thread(storage)
        await storage.runs.create(_run(t.thread_id, offset=i), reject_if_inflight=False)
    at = now()
    assert len(await storage.runs.claim("w", at=at, until=at, limit=2)) == 2
    assert len(await storage.runs.claim("w", at=at, until=at, limit=2)) == 1


async def test_an_expired_lease_is_claimed_again_and_fences_its_old_holder(
    storage: Storage,
) -> None:
    t = await _new_thread(storage)
    run = _run(t.thread_id)
    await storage.runs.create(run, reject_if_inflight=False)
    at = now()
    (held,) = await storage.runs.claim("w1", at=at, until=at + timedelta(seconds=10), limit=1)
    assert await storage.runs.renew(run.run_id, held.attempt, until=at + timedelta(seconds=20))
    # still live at +15 s (renewed): nobody else takes it
    later = at + timedelta(seconds=15)
    assert await storage.runs.claim("w2", at=later, until=later, limit=1) == []
    # expired at +25 s: taken again under a new attempt
    expired = at + timedelta(seconds=25)
    (retaken,) = await storage.runs.claim(
        "w2", at=expired, until=expired + timedelta(seconds=10), limit=1
    )
    assert retaken.run_id == run.run_id and retaken.attempt == held.attempt + 1
    # the old holder is fenced off; the new one is not
    assert not await storage.runs.renew(run.run_id, held.attempt, until=expired)
    assert not await storage.runs.release(run.run_id, held.attempt, at=expired)
    assert await storage.runs.renew(run.run_id, retaken.attempt, until=expired)


async def test_release_gives_the_run_back(storage: Storage) -> None:
    t = await _new_thread(storage)
    run = _run(t.thread_id)
    await storage.runs.create(run, reject_if_inflight=False)
    at = now()
    (held,) = await storage.runs.claim("w1", at=at, until=at + timedelta(seconds=60), limit=1)
    assert await storage.runs.release(run.run_id, held.attempt, at=at)
    stored = await storage.runs.get(run.run_id)
    assert stored is not None and stored.status == "pending"
    (again,) = await storage.runs.claim("w2", at=at, until=at + timedelta(seconds=60), limit=1)
    assert again.attempt == held.attempt + 1
    # an ended run has no lease to renew or release
    await finish_success(storage, again, {})
    assert not await storage.runs.renew(run.run_id, again.attempt, until=at)
    assert not await storage.runs.release(run.run_id, again.attempt, at=at)


async def test_a_run_started_without_a_lease_keeps_its_thread(storage: Storage) -> None:
    """A run this process set running itself (no claim, no lease) is never taken, nor is its
    thread's next run."""
    t = await _new_thread(storage)
    running = _run(t.thread_id, offset=0)
    queued = _run(t.thread_id, offset=1)
    for run in (running, queued):
        await storage.runs.create(run, reject_if_inflight=False)
    await storage.runs.set_status(running.run_id, "running", at=now())
    at = now() + timedelta(days=1)
    assert await storage.runs.claim("w", at=at, until=at, limit=10) == []


async def test_claim_waits_for_a_runs_not_before_time_and_keeps_its_thread(
    storage: Storage,
) -> None:
    t1, t2 = await _new_thread(storage), await _new_thread(storage)
    delayed = _run(t1.thread_id, offset=0)
    delayed.kwargs["after_seconds"] = 10
    behind = _run(t1.thread_id, offset=1)  # the thread's later run waits for the delayed one
    free = _run(t2.thread_id, offset=2)
    for run in (delayed, behind, free):
        assert await storage.runs.create(run, reject_if_inflight=False)
    at = delayed.created_at + timedelta(seconds=5)
    claimed = await storage.runs.claim("w", at=at, until=at + timedelta(seconds=30), limit=10)
    assert [r.run_id for r in claimed] == [free.run_id]
    due = delayed.created_at + timedelta(seconds=11)
    claimed = await storage.runs.claim("w", at=due, until=due + timedelta(seconds=30), limit=10)
    assert [r.run_id for r in claimed] == [delayed.run_id]


async def test_fenced_writes_are_refused_once_the_lease_is_lost(storage: Storage) -> None:
    t = await _new_thread(storage)
    run = _run(t.thread_id)
    await storage.runs.create(run, reject_if_inflight=False)
    at = now()
    (held,) = await storage.runs.claim("w1", at=at, until=at + timedelta(seconds=1), limit=1)
    later = at + timedelta(seconds=5)
    (retaken,) = await storage.runs.claim(
        "w2", at=later, until=later + timedelta(seconds=30), limit=1
    )
    old: tuple[Any, int] = ("running", held.attempt)
    assert not await storage.runs.set_status(run.run_id, "error", at=later, expect=old)
    refused = await storage.runs.finish(
        run.run_id,
        "success",
        thread_id=t.thread_id,
        thread_status="idle",
        values={"stale": True},
        interrupts={},
        error=None,
        update_values=True,
        at=later,
        expect=old,
    )
    assert not refused
    stored, thread = await storage.runs.get(run.run_id), await storage.threads.get(t.thread_id)
    assert stored is not None and stored.status == "running" and stored.attempt == retaken.attempt
    assert thread is not None and thread.status == "busy" and thread.values != {"stale": True}
    assert await storage.runs.finish(
        run.run_id,
        "success",
        thread_id=t.thread_id,
        thread_status="idle",
        values={"fresh": True},
        interrupts={},
        error=None,
        update_values=True,
        at=later,
        expect=("running", retaken.attempt),
    )
    thread = await storage.threads.get(t.thread_id)
    assert thread is not None and thread.status == "idle" and thread.values == {"fresh": True}


async def test_a_pending_run_ends_only_while_still_pending(storage: Storage) -> None:
    t = await _new_thread(storage)
    run = _run(t.thread_id)
    await storage.runs.create(run, reject_if_inflight=False)
    pending: tuple[Any, int] = ("pending", run.attempt)
    at = now()
    await storage.runs.claim("w", at=at, until=at + timedelta(seconds=30), limit=1)
    # claimed meanwhile: a cancel that read it pending must not end it
    assert not await storage.runs.set_status(run.run_id, "interrupted", at=at, expect=pending)
    stored = await storage.runs.get(run.run_id)
    assert stored is not None and stored.status == "running"


async def test_runs_not_yet_due_take_no_place_in_the_claims_limit(storage: Storage) -> None:
    t1, t2 = await _new_thread(storage), await _new_thread(storage)
    delayed = _run(t1.thread_id, offset=0)
    delayed.kwargs["after_seconds"] = 60
    due = _run(t2.thread_id, offset=1)
    for run in (delayed, due):
        assert await storage.runs.create(run, reject_if_inflight=False)
    at = due.created_at
    claimed = await storage.runs.claim("w", at=at, until=at + timedelta(seconds=30), limit=1)
    assert [r.run_id for r in claimed] == [due.run_id]


async def test_orphans_are_running_runs_no_live_lease_holds(storage: Storage) -> None:
    t1, t2, t3 = [await _new_thread(storage) for _ in range(3)]
    unleased, live, expired = (_run(t.thread_id, offset=i) for i, t in enumerate((t1, t2, t3)))
    for run in (unleased, live, expired):
        assert await storage.runs.create(run, reject_if_inflight=False)
    await storage.runs.set_status(unleased.run_id, "running", at=now())
    at = now()
    claimed = await storage.runs.claim("w", at=at, until=at + timedelta(seconds=60), limit=10)
    assert {r.run_id for r in claimed} == {live.run_id, expired.run_id}
    expiring = next(r for r in claimed if r.run_id == expired.run_id)
    assert await storage.runs.renew(expired.run_id, expiring.attempt, until=at)
    later = at + timedelta(seconds=1)
    assert [r.run_id for r in await storage.runs.orphans(later)] == [
        unleased.run_id,
        expired.run_id,
    ]


# -- adapter records -----------------------------------------------------------------------------


def _adapter_record(
    key: str, *, kind: str = "push", scope: str = "task-1", at: datetime | None = None, **kw: Any
) -> AdapterRecord:
    return AdapterRecord(
        kind=kind, key=key, scope=scope, data={"key": key}, created_at=at or now(), **kw
    )


async def test_adapter_record_put_get_replace_delete(storage: Storage) -> None:
    records = storage.adapters
    record = _adapter_record("a")
    record.data = {"url": "http://x", "nested": {"list": [1, 2]}}
    await records.put(record)
    got = await records.get("push", "a", at=now())
    assert got is not None
    assert (got.kind, got.key, got.scope, got.data) == ("push", "a", "task-1", record.data)
    assert got.created_at == record.created_at and got.expires_at is None
    # Another kind's key space is its own.
    assert await records.get("mcp-task", "a", at=now()) is None
    await records.put(replace(record, scope="task-2", data={"url": "http://y"}))
    got = await records.get("push", "a", at=now())
    assert got is not None and (got.scope, got.data) == ("task-2", {"url": "http://y"})
    assert await records.delete("push", "a")
    assert not await records.delete("push", "a")
    assert await records.get("push", "a", at=now()) is None


async def test_adapter_record_update_never_brings_a_record_back(storage: Storage) -> None:
    records = storage.adapters
    at = now()
    await records.put(_adapter_record("a", at=at, expires_at=at + timedelta(seconds=5)))
    later = at + timedelta(hours=1)
    assert await records.update("push", "a", {"level": "debug"}, later, at=at)
    got = await records.get("push", "a", at=at + timedelta(minutes=1))
    assert got is not None and got.data == {"level": "debug"} and got.expires_at == later
    assert got.scope == "task-1" and got.created_at == at
    # Expired at `at`: not updated.
    assert not await records.update("push", "a", {}, None, at=later)
    assert await records.get("push", "a", at=at) is not None
    # Deleted: not updated, and not recreated.
    assert await records.delete("push", "a")
    assert not await records.update("push", "a", {"level": "info"}, None, at=at)
    assert await records.get("push", "a", at=at) is None
    assert not await records.update("push", "missing", {}, None, at=at)


async def test_adapter_records_list_by_scope_oldest_first(storage: Storage) -> None:
    records = storage.adapters
    start = now()
    for i, key in enumerate(["c", "a", "b"]):
        await records.put(_adapter_record(key, at=start + timedelta(seconds=i)))
    await records.put(_adapter_record("other", scope="task-2", at=start))
    await records.put(_adapter_record("mcp", kind="mcp-task", at=start))
    listed = await records.list("push", "task-1", at=now(), limit=10)
    assert [r.key for r in listed] == ["c", "a", "b"]
    assert [r.key for r in await records.list("push", "task-1", at=now(), limit=2)] == ["c", "a"]
    assert [r.key for r in await records.list("push", "task-2", at=now(), limit=10)] == ["other"]
    assert await records.list("push", "none", at=now(), limit=10) == []


async def test_adapter_records_expire(storage: Storage) -> None:
    records = storage.adapters
    at = now()
    await records.put(_adapter_record("gone", at=at, expires_at=at + timedelta(seconds=5)))
    await records.put(_adapter_record("kept", at=at, expires_at=at + timedelta(hours=1)))
    await records.put(_adapter_record("forever", at=at))
    assert await records.get("push", "gone", at=at + timedelta(seconds=4)) is not None
    later = at + timedelta(seconds=5)
    assert await records.get("push", "gone", at=later) is None
    listed = await records.list("push", "task-1", at=later, limit=10)
    assert sorted(r.key for r in listed) == ["forever", "kept"]
    assert await records.purge(at=later) == 1
    assert await records.purge(at=later) == 0
    got = await records.get("push", "kept", at=at)
    assert got is not None and got.expires_at == at + timedelta(hours=1)


async def test_a_finish_leaves_the_thread_busy_while_another_of_its_runs_is_in_flight(
    storage: Storage,
) -> None:
    thread = await _new_thread(storage)
    first = _run(thread.thread_id, status="running")
    second = _run(thread.thread_id, offset=1)
    for run in (first, second):
        assert await storage.runs.create(run, reject_if_inflight=False)

    async def finish(run: Run, thread_status: ThreadStatus) -> str:
        assert await storage.runs.finish(
            run.run_id,
            "interrupted",
            thread_id=thread.thread_id,
            thread_status=thread_status,
            values=None,
            interrupts={},
            error=None,
            update_values=False,
            at=now(),
        )
        stored = await storage.threads.get(thread.thread_id)
        assert stored is not None
        return stored.status

    assert await finish(first, "interrupted") == "busy"  # the second is still pending
    assert await finish(second, "idle") == "idle"  # the last one settles it
