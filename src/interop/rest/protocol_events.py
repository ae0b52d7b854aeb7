"""The thread-centric streaming protocol (v2): one run's events told as protocol events, and the
filters a stream applies. Pure: fed a run's stream events and outcome, no I/O (the routes are
in `thread_stream`).

A run is told as: `lifecycle` `running`, its `values`, `updates`, `custom` (`{"payload": ...}`)
and `messages` (message-start, content-block-start/-delta/-finish, message-finish, from the
run's message chunks; text blocks only), an `input.requested` per interrupt (`{"interrupt_id",
"payload"}`), and a terminal `lifecycle`: `completed`, `interrupted` (waiting on input) or
`failed` (with `error`); subgraph namespaces get `started` and their own terminal event. Event
ids are stable across connections (a run event's id is its broker id; made-up events are named
by the run), so a client that reconnects and is replayed the run deduplicates; `seq` follows
the broker's clock, so it grows along the thread from run to run.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from interop.core import serde
from interop.core.events import parse_event_id
from interop.core.models import Run, RunOutcome, StreamEvent
from interop.rest.errors import RequestError
from interop.rest.models import integral

CHANNELS = frozenset(
    {"values", "updates", "messages", "tools", "lifecycle", "input", "tasks", "custom"}
)
# What a protocol run streams: everything the channels above are told from.
RUN_MODES = ["values", "updates", "messages-tuple", "custom"]
# -- filters ---------------------------------------------------------------------------------


@dataclass(slots=True, frozen=True)
class Filter:
    """A stream's `ProtocolEventStreamRequest`."""

    channels: frozenset[str]
    namespaces: tuple[tuple[str, ...], ...] | None = None
    depth: int | None = None
    since: int | None = None

    @classmethod
    def parse(cls, body: Any) -> Filter:
        """The filter from a request body; RequestError 400 when it is not one."""
        if not isinstance(body, dict):
            raise RequestError(400, "The body must be an object.")
        channels = body.get("channels")
        if (
            not isinstance(channels, list)
            or not channels
            or not all(isinstance(c, str) and _known_channel(c) for c in channels)
        ):
            raise RequestError(400, "'channels' must be a non-empty list of protocol channels.")
        namespaces = body.get("namespaces")
        if namespaces is not None and not (
            isinstance(namespaces, list)
            and all(isinstance(n, list) and all(isinstance(s, str) for s in n) for n in namespaces)
        ):
            raise RequestError(400, "'namespaces' must be a list of string lists.")
        depth, since = integral(body.get("depth")), integral(body.get("since"))
        for name, value in (("depth", depth), ("since", since)):
            if value is not None and (type(value) is not int or value < 0):
                raise RequestError(400, f"'{name}' must be a non-negative integer.")
        return cls(
            frozenset(channels),
            tuple(tuple(n) for n in namespaces) if namespaces is not None else None,
            depth,
            since,
        )

    def matches(self, event: dict[str, Any]) -> bool:
        if self.since is not None and event["seq"] <= self.since:
            return False
        method = event["method"]
        params = event["params"]
        channel = "input" if method == "input.requested" else method
        if channel not in self.channels:
            name = params["data"].get("name") if isinstance(params["data"], dict) else None
            if channel != "custom" or f"custom:{name}" not in self.channels:
                return False
        if not self.namespaces:
            return True
        namespace = params["namespace"]
        return any(
            tuple(namespace[: len(prefix)]) == prefix
            and (self.depth is None or len(namespace) - len(prefix) <= self.depth)
            for prefix in self.namespaces
        )


def _known_channel(name: str) -> bool:
    return name in CHANNELS or (name.startswith("custom:") and len(name) > len("custom:"))


# -- one run as protocol events ------------------------------------------------------------------


def _event(
    event_id: str,
    seq: int,
    method: str,
    namespace: list[str],
    data: Any,
    node: str | None = None,
    timestamp: int | None = None,
) -> dict[str, Any]:
    params: dict[str, Any] = {
        "namespace": namespace,
        "timestamp": timestamp if timestamp is not None else int(time.time() * 1000),
        "data": data,
    }
    if node is not None:
        params["node"] = node
    return {"type": "event", "event_id": event_id, "seq": seq, "method": method, "params": params}


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            b if isinstance(b, str) else str(b.get("text") or "")
            for b in content
            if isinstance(b, str) or (isinstance(b, dict) and b.get("type") == "text")
        )
    return ""


_ROLES = {"AIMessageChunk": "ai", "HumanMessageChunk": "human", "ToolMessageChunk": "tool"}


@dataclass(slots=True)
class _Message:
    key: str
    namespace: list[str]
    node: str | None
    text: str = ""


@dataclass(slots=True)
class RunTeller:
    """Tells one run as protocol events (pure: fed the run's stream events and outcome)."""

    run: Run
    graph_name: str
    seq: int = 0
    _namespaces: set[tuple[str, ...]] = field(default_factory=set)
    _interrupts: set[str] = field(default_factory=set)
    _messages: dict[str, _Message] = field(default_factory=dict)
    saw_values: bool = False

    def _own(
        self, tag: str, method: str, namespace: list[str], data: Any, node: str | None = None
    ) -> dict[str, Any]:
        """An event this teller makes up (not a broker event), named by the run and `tag`."""
        self.seq += 1
        return _event(f"{self.run.run_id}.{tag}", self.seq, method, namespace, data, node)

    def start(self) -> list[dict[str, Any]]:
        self.seq = int(self.run.created_at.timestamp() * 1000) * 1000
        return [self._own("running", "lifecycle", [], self._lifecycle("running"))]

    def _lifecycle(self, status: str, error: str | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {"event": status, "graph_name": self.graph_name}
        if error is not None:
            data["error"] = error
        return data

    def feed(self, event: StreamEvent) -> list[dict[str, Any]]:
        """The protocol events one run stream event becomes."""
        name, _, suffix = event.event.partition("|")
        namespace = suffix.split("|") if suffix else []
        parsed = parse_event_id(event.id)
        # seq follows the broker's clock (so it grows from run to run along the thread) and
        # gives each told event its own number.
        floor = parsed[0] * 1000 + min(parsed[1], 999) if parsed else 0
        ms = parsed[0] if parsed else None
        self.seq = max(self.seq, floor)
        out = self._enter(namespace)
        if name in ("metadata", "error"):
            return out  # the run's end is told from its outcome
        data = serde.loads(event.data)

        def told(method: str, payload: Any, node: str | None = None, part: str = "") -> None:
            self.seq += 1
            out.append(_event(event.id + part, self.seq, method, namespace, payload, node, ms))

        if name == "values" and isinstance(data, dict):
            out.extend(self._asks(namespace, data.get("__interrupt__")))
            values = {k: v for k, v in data.items() if k != "__interrupt__"}
            if values:
                self.saw_values = self.saw_values or not namespace
                told("values", values)
        elif name == "updates" and isinstance(data, dict):
            for index, (node, update) in enumerate(data.items()):
                if node == "__interrupt__":
                    out.extend(self._asks(namespace, update))
                else:
                    told("updates", update, node, f".{index}" if index else "")
        elif name == "custom":
            told("custom", {"payload": data})
        elif name == "messages" and isinstance(data, list) and len(data) == 2:
            for index, (method, payload, node) in enumerate(self._message(namespace, *data)):
                told(method, payload, node, f".{index}" if index else "")
        return out

    def _enter(self, namespace: list[str]) -> list[dict[str, Any]]:
        out = []
        for length in range(1, len(namespace) + 1):
            prefix = tuple(namespace[:length])
            if prefix not in self._namespaces:
                self._namespaces.add(prefix)
                graph = prefix[-1].split(":", 1)[0]
                tag = "started." + "/".join(prefix)
                out.append(self._own(tag, "lifecycle", list(prefix), _started(graph)))
        return out

    def _asks(self, namespace: list[str], interrupts: Any) -> list[dict[str, Any]]:
        out = []
        for item in interrupts if isinstance(interrupts, list) else []:
            if not isinstance(item, dict):
                continue
            interrupt_id = str(item.get("id") or f"interrupt_{len(self._interrupts)}")
            if interrupt_id in self._interrupts:
                continue
            self._interrupts.add(interrupt_id)
            data = {"interrupt_id": interrupt_id, "payload": item.get("value")}
            out.append(self._own(f"input.{interrupt_id}", "input.requested", namespace, data))
        return out

    def _message(
        self, namespace: list[str], message: Any, metadata: Any
    ) -> list[tuple[str, dict[str, Any], str | None]]:
        if not isinstance(message, dict):
            return []
        kind = str(message.get("type") or "")
        key = str(message.get("id") or "")
        node = metadata.get("langgraph_node") if isinstance(metadata, dict) else None
        out: list[tuple[str, dict[str, Any], str | None]] = []
        current = self._messages.get(key)
        if current is None:
            current = _Message(key, namespace, node if isinstance(node, str) else None)
            self._messages[key] = current
            role = _ROLES.get(kind, kind)
            out.append(("messages", {"event": "message-start", "id": key, "role": role}, None))
            start = {"event": "content-block-start", "index": 0, "content": _text_block("")}
            out.append(("messages", start, None))
        text = _text_of(message.get("content"))
        chunk = kind.endswith("Chunk")
        if chunk and text:
            current.text += text
            delta = {"event": "content-block-delta", "index": 0, "content": _text_block(text)}
            out.append(("messages", delta, None))
        if not chunk:
            current.text = text
        finish = (message.get("response_metadata") or {}).get("finish_reason")
        if not chunk or message.get("chunk_position") == "last" or finish:
            out.extend(self._finish(current, str(finish or "stop")))
        return [(method, data, current.node) for method, data, _ in out]

    def _finish(self, message: _Message, reason: str) -> list[tuple[str, dict[str, Any], None]]:
        self._messages.pop(message.key, None)
        done = {"event": "content-block-finish", "index": 0, "content": _text_block(message.text)}
        return [
            ("messages", done, None),
            ("messages", {"event": "message-finish", "reason": reason}, None),
        ]

    def end(self, outcome: RunOutcome) -> list[dict[str, Any]]:
        """The events that close the run: open messages, final values and interrupts when the
        stream did not carry them, the terminal lifecycle of each namespace and of the run."""
        out: list[dict[str, Any]] = []
        for message in list(self._messages.values()):
            for index, (method, data, _) in enumerate(self._finish(message, "stop")):
                tag = f"{message.key}.end.{index}"
                out.append(self._own(tag, method, message.namespace, data, message.node))
        values = outcome.values
        if not self.saw_values and isinstance(values, dict) and values:
            out.append(self._own("values", "values", [], values))
        out.extend(self._asks([], outcome.interrupts))
        if outcome.status == "success":
            status, error = ("interrupted" if outcome.interrupts else "completed"), None
        else:
            status = "failed"
            reason = (outcome.error or {}).get("message") or (outcome.error or {}).get("error")
            error = str(reason or f"The run ended with status {outcome.status}.")
        for prefix in sorted(self._namespaces, key=len, reverse=True):
            tag = f"{status}." + "/".join(prefix)
            graph = prefix[-1].split(":", 1)[0]
            out.append(
                self._own(tag, "lifecycle", list(prefix), {"event": status, "graph_name": graph})
            )
        out.append(self._own(status, "lifecycle", [], self._lifecycle(status, error)))
        return out


def _started(graph: str) -> dict[str, Any]:
    return {"event": "started", "graph_name": graph}


def _text_block(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def tell(
    run: Run, graph_name: str, events: Iterable[StreamEvent], outcome: RunOutcome
) -> list[dict[str, Any]]:
    """A finished run told at once (for tests and replays): every event it becomes."""
    teller = RunTeller(run, graph_name)
    told = teller.start()
    for event in events:
        told.extend(teller.feed(event))
    told.extend(teller.end(outcome))
    return told
