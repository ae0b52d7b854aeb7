"""Custom auth (`auth.path` in langgraph.json), against a server started with the project in
`custom_auth/` (two users by bearer token, records stamped and filtered by `owner`, assistants
shared by `readers`, deleting needs the `delete` permission: read its auth.py)::

    pytest conformance/rest/test_custom_auth.py --base-url URL --auth-tokens token-alice,token-bob

Skipped without `--auth-tokens`. Records outside a user's filter are "not found" (404), an
action a handler refuses is 403, a request without credentials 401.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from langgraph_sdk import get_client
from langgraph_sdk.client import LangGraphClient

from .agents import DEFAULT_TIMEOUT, LONG_COUNTDOWN, user, wait_for_status

ALICE, BOB = "alice", "bob"  # the identities custom_auth/auth.py gives the two tokens


@pytest.fixture(scope="module")
def tokens(pytestconfig: pytest.Config) -> dict[str, str]:
    value = pytestconfig.getoption("auth_tokens")
    if not value:
        pytest.skip("custom auth checks need --auth-tokens ALICE,BOB (see the module docstring)")
    alice, _, bob = str(value).partition(",")
    return {ALICE: alice, BOB: bob}


@pytest.fixture
async def raw(base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=base_url, timeout=DEFAULT_TIMEOUT) as http:
        yield http


def _client(base_url: str, token: str) -> LangGraphClient:
    return get_client(
        url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=DEFAULT_TIMEOUT
    )


@pytest.fixture
async def alice(base_url: str, tokens: dict[str, str]) -> AsyncIterator[LangGraphClient]:
    client = _client(base_url, tokens[ALICE])
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
async def bob(base_url: str, tokens: dict[str, str]) -> AsyncIterator[LangGraphClient]:
    client = _client(base_url, tokens[BOB])
    try:
        yield client
    finally:
        await client.aclose()


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _status(call: Any) -> int:
    """The HTTP status an SDK call fails with (0 when it succeeds)."""
    try:
        await call
    except httpx.HTTPStatusError as exc:
        return exc.response.status_code
    return 0


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/threads", {}),
        ("POST", "/threads/search", {}),
        ("POST", "/assistants/search", {}),
        ("POST", "/runs/wait", {"assistant_id": "echo", "input": {}}),
        ("GET", "/threads/00000000-0000-0000-0000-000000000000", None),
    ],
)
@pytest.mark.parametrize("authorization", [None, "Bearer nobody", "Basic x"])
async def test_no_valid_credentials_is_401(
    raw: httpx.AsyncClient,
    tokens: dict[str, str],
    method: str,
    path: str,
    body: Any,
    authorization: str | None,
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = await raw.request(method, path, json=body, headers=headers)
    assert response.status_code == 401
    assert "detail" in response.json()


async def test_create_stamps_the_owner(alice: LangGraphClient) -> None:
    thread = await alice.threads.create(metadata={"topic": "t"})
    assert thread["metadata"]["owner"] == ALICE and thread["metadata"]["topic"] == "t"
    assistant = await alice.assistants.create("echo", metadata={"readers": [BOB]})
    assert assistant["metadata"]["owner"] == ALICE
    assert sorted(assistant["metadata"]["readers"]) == [ALICE, BOB]


@pytest.mark.interop_extension  # the reference answers 409 to the copy
async def test_copying_another_users_thread_is_not_found(
    alice: LangGraphClient, bob: LangGraphClient
) -> None:
    tid = (await alice.threads.create())["thread_id"]
    assert await _status(bob.threads.copy(tid)) == 404


async def test_threads_of_another_user_are_not_found(
    alice: LangGraphClient, bob: LangGraphClient
) -> None:
    mark = str(uuid.uuid4())
    thread = await alice.threads.create(metadata={"mark": mark})
    tid = thread["thread_id"]
    assert await _status(bob.threads.get(tid)) == 404
    assert await _status(bob.threads.update(tid, metadata={"owner": BOB})) == 404
    assert await _status(bob.threads.get_state(tid)) == 404
    assert await _status(bob.threads.get_history(tid)) == 404
    assert await bob.threads.search(metadata={"mark": mark}) == []
    # (the handler stamps bob's own owner over the one asked for: only bob's threads come back)
    assert {
        t["metadata"]["owner"] for t in await bob.threads.search(metadata={"owner": ALICE})
    } <= {BOB}
    assert await bob.threads.count(metadata={"mark": mark}) == 0
    assert [t["thread_id"] for t in await alice.threads.search(metadata={"mark": mark})] == [tid]
    assert (await alice.threads.get(tid))["metadata"]["owner"] == ALICE  # unchanged by bob
    # deleting: bob lacks the permission (403); alice has it, but not bob's thread (404)
    assert await _status(bob.threads.delete(tid)) == 403
    own = await bob.threads.create()
    assert await _status(bob.threads.delete(own["thread_id"])) == 403
    assert await _status(alice.threads.delete(own["thread_id"])) == 404
    assert (await bob.threads.get(own["thread_id"]))["thread_id"] == own["thread_id"]
    await alice.threads.delete(tid)
    assert await _status(alice.threads.get(tid)) == 404


async def test_assistants_of_another_user(alice: LangGraphClient, bob: LangGraphClient) -> None:
    private = await alice.assistants.create("echo", name="alice private")
    shared = await alice.assistants.create("echo", name="alice shared", metadata={"readers": [BOB]})
    pid, sid = private["assistant_id"], shared["assistant_id"]
    assert await _status(bob.assistants.get(pid)) == 404
    assert (await bob.assistants.get(sid))["assistant_id"] == sid  # a reader
    found = {a["assistant_id"] for a in await bob.assistants.search(limit=1000)}
    assert sid in found and pid not in found
    assert await _status(bob.assistants.update(sid, metadata={"x": 1})) == 404  # not its owner
    assert await _status(bob.assistants.delete(sid)) == 403  # no delete permission
    theirs = await bob.assistants.create("echo", name="bob's")
    assert await _status(alice.assistants.get(theirs["assistant_id"])) == 404
    assert await _status(alice.assistants.delete(theirs["assistant_id"])) == 404
    assert await _status(bob.runs.wait(None, pid, input=user("hi"))) == 404
    result = await bob.runs.wait(None, sid, input=user("shared"))
    assert isinstance(result, dict) and result["messages"][-1]["content"] == "shared"


async def test_runs_on_another_users_thread(
    alice: LangGraphClient, bob: LangGraphClient, tokens: dict[str, str], raw: httpx.AsyncClient
) -> None:
    countdown = await alice.assistants.create("countdown", metadata={"readers": [BOB]})
    thread = await alice.threads.create()
    tid, aid = thread["thread_id"], countdown["assistant_id"]
    run = await alice.runs.create(tid, aid, input=LONG_COUNTDOWN)
    alice_http = httpx.AsyncClient(
        base_url=str(raw.base_url), headers=_bearer(tokens[ALICE]), timeout=DEFAULT_TIMEOUT
    )
    async with alice_http:
        await wait_for_status(alice_http, tid, run["run_id"], {"running"})
    assert await _status(bob.runs.create(tid, aid, input={"n": 1})) == 404
    assert await _status(bob.runs.get(tid, run["run_id"])) == 404
    assert await _status(bob.runs.list(tid)) == 404
    assert await _status(bob.runs.join(tid, run["run_id"])) == 404
    assert await _status(bob.runs.cancel(tid, run["run_id"])) == 404
    # (a thread's `delete` handler may refuse first: bob lacks the permission)
    assert await _status(bob.runs.delete(tid, run["run_id"])) in (403, 404)
    mine = await bob.threads.create()
    assert await _status(bob.runs.get(mine["thread_id"], run["run_id"])) == 404
    assert (await alice.runs.get(tid, run["run_id"]))["status"] in ("pending", "running")
    await alice.runs.cancel(tid, run["run_id"], wait=True)
    assert [r["run_id"] for r in await alice.runs.list(tid)] == [run["run_id"]]
