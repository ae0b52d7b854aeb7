"""core/authz: filter matching, search narrowing and the per-request caller."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from interop.core import authz


class Recorder:
    """A policy answering `answer` and recording what it was asked."""

    def __init__(self, answer: authz.Filters | None) -> None:
        self.answer = answer
        self.asked: list[tuple[str, str, str, dict[str, Any]]] = []

    async def authorize(
        self, principal: authz.Principal, resource: str, action: str, value: dict[str, Any]
    ) -> authz.Filters | None:
        self.asked.append((principal.identity, resource, action, value))
        value.setdefault("metadata", {})["owner"] = principal.identity
        return self.answer


@pytest.mark.parametrize(
    ("filters", "metadata", "expected"),
    [
        (None, {}, True),
        ({}, {"a": 1}, True),
        ({"owner": "a"}, {"owner": "a", "x": 1}, True),
        ({"owner": "a"}, {"owner": "b"}, False),
        ({"owner": "a"}, {}, False),
        ({"owner": {"$eq": "a"}}, {"owner": "a"}, True),
        ({"owner": {"$eq": "a"}}, {"owner": ["a"]}, False),
        ({"users": {"$contains": "a"}}, {"users": ["b", "a"]}, True),
        ({"users": {"$contains": "a"}}, {"users": ["b"]}, False),
        ({"users": {"$contains": "a"}}, {"users": "a"}, False),
        ({"users": {"$contains": ["a", "b"]}}, {"users": ["b", "a", "c"]}, True),
        ({"owner": "a", "users": {"$contains": "a"}}, {"owner": "a", "users": []}, False),
    ],
)
def test_matches(filters: authz.Filters | None, metadata: dict[str, Any], expected: bool) -> None:
    assert authz.matches(filters, metadata) is expected


def test_narrow_merges_the_policy_filter_into_the_search() -> None:
    assert authz.narrow(None, None) == (None, True)
    assert authz.narrow({"x": 1}, {"owner": "a"}) == ({"x": 1, "owner": "a"}, True)
    assert authz.narrow({"owner": "a"}, {"owner": {"$eq": "a"}}) == ({"owner": "a"}, True)
    assert authz.narrow({"owner": "b"}, {"owner": "a"})[1] is False
    assert authz.narrow({"users": ["b"]}, {"users": {"$contains": "a"}}) == (
        {"users": ["b", "a"]},
        True,
    )
    assert authz.narrow({"users": "b"}, {"users": {"$contains": "a"}})[1] is False


async def test_no_caller_allows_everything() -> None:
    assert authz.current() is None
    assert await authz.authorize("threads", "read", {"thread_id": "t"}) is None


async def test_the_caller_is_scoped_and_reaches_the_tasks_it_starts() -> None:
    policy = Recorder({"owner": "alice"})
    caller = authz.Caller(authz.Principal(identity="alice"), policy)
    value: dict[str, Any] = {"thread_id": "t"}
    with authz.acting_as(caller):
        assert await authz.authorize("threads", "create", value) == {"owner": "alice"}
        assert await asyncio.create_task(authz.authorize("threads", "read", {})) == {
            "owner": "alice"
        }
        with authz.acting_as(None):
            assert await authz.authorize("threads", "read", {}) is None
    assert authz.current() is None
    assert value["metadata"] == {"owner": "alice"}  # the policy may stamp the request
    assert [(r, a) for _, r, a, _ in policy.asked] == [("threads", "create"), ("threads", "read")]


async def test_search_filter_is_empty_when_the_search_contradicts_the_policy() -> None:
    caller = authz.Caller(authz.Principal(identity="alice"), Recorder({"owner": "alice"}))
    with authz.acting_as(caller):
        assert await authz.search_filter("threads", {"metadata": {"owner": "bob"}}) == (
            {"owner": "alice"},
            True,
        )
    # (the recorder stamps owner=alice over the asked owner=bob, as a stamping policy would)
    with authz.acting_as(authz.Caller(authz.Principal(identity="x"), Recorder({"owner": "y"}))):
        assert (await authz.search_filter("threads", {}))[1] is False


async def test_store_hook_returns_the_value_the_policy_scoped() -> None:
    class Scoping:
        async def authorize(
            self, principal: authz.Principal, resource: str, action: str, value: dict[str, Any]
        ) -> authz.Filters | None:
            assert (resource, action) == ("store", "put")
            value["namespace"] = (principal.identity, *value["namespace"])
            return None

    assert await authz.authorize_store("get", {"namespace": ["a"]}) == {"namespace": ("a",)}
    with authz.acting_as(authz.Caller(authz.Principal(identity="alice"), Scoping())):
        scoped = await authz.authorize_store("put", {"namespace": ["notes"], "key": "k"})
    assert scoped == {"namespace": ("alice", "notes"), "key": "k"}


async def test_a_filter_on_the_store_is_refused() -> None:
    with (
        authz.acting_as(authz.Caller(authz.Principal(identity="a"), Recorder({"owner": "a"}))),
        pytest.raises(authz.Forbidden),
    ):
        await authz.authorize_store("search", {"namespace": ()})


async def test_runs_carry_the_caller_into_their_configurable() -> None:
    assert authz.run_configurable() == {}
    principal = authz.Principal(
        identity="alice", permissions=("p",), display_name="Alice", fields={"org": "o"}
    )
    with authz.acting_as(authz.Caller(principal, Recorder(None))):
        assert authz.run_configurable() == {
            "langgraph_auth_user": {
                "org": "o",
                "identity": "alice",
                "permissions": ["p"],
                "display_name": "Alice",
            },
            "langgraph_auth_user_id": "alice",
            "langgraph_auth_permissions": ["p"],
        }
