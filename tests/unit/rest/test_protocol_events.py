"""The thread-centric (v2) protocol's pure parts: stream filters and one run told as protocol events."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from interop.core import serde
from interop.core.models import Run, RunOutcome, StreamEvent
from interop.rest.errors import RequestError
from interop.rest.protocol_events import Filter, tell

RUN = Run(
    run_id="r1",
    thread_id="t1",
    assistant_id="a1",
    created_at=datetime(2026, 1, 1, tzinfo=UTC),
    updated_at=datetime(2026, 1, 1, tzinfo=UTC),
    status="success",
    metadata={},
    kwargs={},
    multitask_strategy="enqueue",
)
MS = int(RUN.created_at.timestamp() * 1000)


def _event(n: int, name: str, data: Any) -> StreamEvent:
    return StreamEvent(f"{MS + 1 + n}-0", name, serde.dumps(data))


def _methods(events: list[dict[str, Any]]) -> list[str]:
    return [
        e["method"] + (":" + e["params"]["data"]["event"] if "event" in e["params"]["data"] else "")
        for e in events
    ]


@pytest.mark.parametrize(
    "body",
    [
        [],
        {},
        {"channels": []},
        {"channels": ["nope"]},
        {"channels": ["custom:"]},
        {"channels": ["values"], "namespaces": [1]},
        {"channels": ["values"], "depth": -1},
        {"channels": ["values"], "since": "3"},
        {"channels": ["values"], "since": True},
    ],
)
def test_bad_filters_are_400(body: Any) -> None:
    with pytest.raises(RequestError) as caught:
        Filter.parse(body)
    assert caught.value.status == 400


def test_filter_by_channel_namespace_depth_and_since() -> None:
    told = tell(
        RUN,
        "agent",
        [
            _event(0, "values", {"n": 1}),
            _event(1, "updates|sub:1", {"node": {"n": 2}}),
            _event(2, "custom", {"name": "x"}),
        ],
        RunOutcome(status="success", values={"n": 1}),
    )
    values = Filter.parse({"channels": ["values"]})
    assert [e["params"]["data"] for e in told if values.matches(e)] == [{"n": 1}]
    root_only = Filter.parse({"channels": ["updates", "lifecycle"], "namespaces": [[]], "depth": 0})
    assert all(e["params"]["namespace"] == [] for e in told if root_only.matches(e))
    nested = Filter.parse({"channels": ["updates"], "namespaces": [["sub:1"]]})
    assert [e["params"]["node"] for e in told if nested.matches(e)] == ["node"]
    last = told[-1]["seq"]
    assert not any(
        Filter.parse({"channels": ["lifecycle"], "since": last}).matches(e) for e in told
    )


def test_a_run_is_told_in_order_with_stable_ids() -> None:
    chunk = {"type": "AIMessageChunk", "id": "m1", "content": "he"}
    events = [
        _event(0, "metadata", {"run_id": "r1"}),
        _event(1, "messages", [chunk, {"langgraph_node": "model"}]),
        _event(2, "messages", [{**chunk, "content": "llo"}, {"langgraph_node": "model"}]),
        _event(3, "values", {"messages": [{"type": "ai", "content": "hello"}]}),
        _event(4, "custom", {"progress": 1}),
    ]
    outcome = RunOutcome(status="success", values={"messages": []})
    told = tell(RUN, "agent", events, outcome)
    assert _methods(told) == [
        "lifecycle:running",
        "messages:message-start",
        "messages:content-block-start",
        "messages:content-block-delta",
        "messages:content-block-delta",
        "values",
        "custom",
        "messages:content-block-finish",
        "messages:message-finish",
        "lifecycle:completed",
    ]
    assert told[7]["params"]["data"]["content"] == {"type": "text", "text": "hello"}
    assert all(e["params"]["node"] == "model" for e in told if e["method"] == "messages")
    assert told[6]["params"]["data"] == {"payload": {"progress": 1}}
    seqs = [e["seq"] for e in told]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    assert len({e["event_id"] for e in told}) == len(told)
    assert [e["event_id"] for e in tell(RUN, "agent", events, outcome)] == [
        e["event_id"] for e in told
    ]


def test_interrupts_failures_and_runs_without_a_stream() -> None:
    interrupt = {"id": "i1", "value": {"question": "ok?"}}
    waiting = tell(
        RUN,
        "agent",
        [_event(0, "values", {"n": 1, "__interrupt__": [interrupt]})],
        RunOutcome(status="success", values={"n": 1}, interrupts=[interrupt]),
    )
    assert _methods(waiting) == [
        "lifecycle:running",
        "input.requested",
        "values",
        "lifecycle:interrupted",
    ]
    assert waiting[1]["params"]["data"] == {"interrupt_id": "i1", "payload": {"question": "ok?"}}
    assert waiting[2]["params"]["data"] == {"n": 1}

    failed = tell(RUN, "agent", [], RunOutcome(status="error", error={"message": "boom"}))
    assert failed[-1]["params"]["data"] == {
        "event": "failed",
        "graph_name": "agent",
        "error": "boom",
    }

    # A finished run whose events are gone is told from its outcome.
    gone = tell(RUN, "agent", [], RunOutcome(status="success", values={"n": 2}))
    assert _methods(gone) == ["lifecycle:running", "values", "lifecycle:completed"]
