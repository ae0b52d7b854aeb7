"""Run execution: drive a LangGraph graph, publish its stream, record how the run ended.

This is the boundary where user code runs: any exception a graph raises ends its run as
`error` (with the exception's type and message) and never escapes into the server.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any, cast

from langchain_core.messages import BaseMessage, BaseMessageChunk, message_chunk_to_message
from langchain_core.runnables import RunnableConfig
from langgraph.pregel import Pregel
from langgraph.types import Command, Send

from interop.core import serde
from interop.core.context import run_context
from interop.core.ids import now
from interop.core.models import Run, RunOutcome
from interop.core.outcomes import finish_run
from interop.core.ports import RunPorts, RunQueue
from interop.core.storage import CHECKPOINT_FENCE
from interop.core.tasks import honour_cancel

log = logging.getLogger("interop.runs")


class _Publisher:
    """Turns LangGraph stream chunks into named events on the run's (and thread's) channel."""

    def __init__(self, ports: RunPorts, run: Run) -> None:
        self.ports = ports
        self.run = run
        self.broker = ports.events(run)
        self.modes = set(run.kwargs["stream_mode"])
        self.subgraphs = bool(run.kwargs.get("subgraphs"))
        self.last_values: Any = None
        self._seen: set[str] = set()
        self._partial: dict[str, BaseMessageChunk] = {}

    async def emit(self, event: str, data: Any) -> None:
        # Mirrored per event: a thread stream may be joined while the run is under way.
        await self.broker.publish(
            self.run.run_id, event, serde.dumps(data), mirror=self.run.thread_id
        )

    async def chunk(self, namespace: tuple[str, ...], mode: str, data: Any) -> None:
        await self._publish_chunk(namespace, mode, data)
        honour_cancel()

    async def _publish_chunk(self, namespace: tuple[str, ...], mode: str, data: Any) -> None:
        if mode == "values" and not namespace:
            self.last_values = data
        if namespace and not self.subgraphs:
            return
        suffix = "|" + "|".join(namespace) if namespace else ""
        if mode == "messages":
            await self._messages(suffix, data)
        elif mode in self.modes:
            await self.emit(mode + suffix, data)

    async def _messages(self, suffix: str, data: Any) -> None:
        message, metadata = data
        if "messages-tuple" in self.modes:
            await self.emit("messages" + suffix, [message, metadata])
        if "messages" not in self.modes or not isinstance(message, BaseMessage):
            return
        key = message.id or ""
        if key not in self._seen:
            self._seen.add(key)
            await self.emit("messages/metadata" + suffix, {key: {"metadata": metadata}})
        if isinstance(message, BaseMessageChunk):
            previous = self._partial.get(key)
            merged = message if previous is None else previous + message
            self._partial[key] = merged
            await self.emit("messages/partial" + suffix, [message_chunk_to_message(merged)])
        else:
            await self.emit("messages/complete" + suffix, [message])


def _graph_input(run: Run) -> Any:
    command = run.kwargs.get("command")
    if command:
        goto = command.get("goto")
        if isinstance(goto, dict):
            goto = Send(goto["node"], goto.get("input"))
        elif isinstance(goto, list):
            goto = [Send(g["node"], g.get("input")) if isinstance(g, dict) else g for g in goto]
        return Command(
            update=command.get("update"),
            resume=command.get("resume"),
            goto=goto if goto is not None else (),
        )
    return run.kwargs.get("input")


def _config(run: Run) -> RunnableConfig:
    config: dict[str, Any] = dict(run.kwargs["config"])
    configurable = dict(config.get("configurable", {}))
    configurable.setdefault("checkpoint_ns", "")
    checkpoint = run.kwargs.get("checkpoint")
    if checkpoint:
        for key in ("checkpoint_id", "checkpoint_ns", "checkpoint_map"):
            if checkpoint.get(key) is not None:
                configurable[key] = checkpoint[key]
    config["configurable"] = configurable
    config["run_id"] = uuid.UUID(run.run_id)
    return cast(RunnableConfig, config)


async def execute(ports: RunPorts, queue: RunQueue, run: Run) -> None:
    """Run `run` to its end and record the outcome; never raises for a failure of the graph."""
    publisher = _Publisher(ports, run)
    config = _config(run)
    saver = ports.ephemeral_saver if run.temporary else ports.storage.checkpoints.saver
    graph: Pregel[Any] | None = None
    rollback = False
    try:
        # Inside the try: a caller may see the run `running` (and cancel it) before this write
        # returns here, when the database answers over the network. The live record says
        # `running` only once storage does, so a search of storage by status finds it.
        # A run claimed under a lease is `running` in storage already.
        fence = queue.fence(run)
        if fence is not None:  # held under a lease: the graph's checkpoint writes carry it
            CHECKPOINT_FENCE.set((run.run_id, fence[1]))
        elif not run.temporary:
            await ports.storage.runs.set_status(run.run_id, "running", at=now())
        run.status, run.updated_at = "running", now()
        ports.listeners.notify(run, None)
        entry = ports.graph(run.kwargs["graph_id"])
        graph = await entry.build(config, saver, ports.storage.store)
        deadline = asyncio.timeout(ports.run_timeout)
        try:
            async with deadline:
                await _drive(graph, run, config, publisher)
        except TimeoutError:
            if not deadline.expired():
                raise  # raised by the graph itself: an error like any other
            outcome = RunOutcome(
                status="timeout",
                error={"error": "TimeoutError", "message": "The run exceeded its time limit."},
            )
        else:
            honour_cancel()
            outcome = await _success(graph, run, config, publisher)
    except asyncio.CancelledError:
        reason = queue.cancel_reason(run.run_id)
        if reason == "lost":
            raise  # its lease expired and another process took it: write nothing more
        if reason is None or reason == "shutdown":
            # Server stopping: leave the run `running` so that the next start recovers it.
            await publisher.emit(
                "error", {"error": "ServerShutdown", "message": "The server is shutting down."}
            )
            await publisher.broker.close(run.run_id)
            raise
        outcome = RunOutcome(status="interrupted", values=publisher.last_values)
        rollback = reason == "rollback"
    except Exception as exc:  # noqa: BLE001 - the boundary around user code: the run fails
        log.info("run %s failed: %s: %s", run.run_id, type(exc).__name__, exc)
        error = {"error": type(exc).__name__, "message": str(exc)}
        await publisher.emit("error", error)
        outcome = RunOutcome(status="error", values=publisher.last_values, error=error)
    if outcome.status == "timeout" and outcome.error is not None:
        await publisher.emit("error", outcome.error)
    await finish_run(ports, queue, run, outcome, graph=graph, config=config, rollback=rollback)


async def _drive(
    graph: Pregel[Any], run: Run, config: RunnableConfig, publisher: _Publisher
) -> None:
    modes = {"messages" if m in ("messages", "messages-tuple") else m for m in publisher.modes}
    modes.discard("events")
    modes.add("values")
    kwargs: dict[str, Any] = {
        "stream_mode": sorted(modes),
        "subgraphs": True,
        "interrupt_before": run.kwargs.get("interrupt_before"),
        "interrupt_after": run.kwargs.get("interrupt_after"),
        "durability": run.kwargs.get("durability") or "async",
    }
    context = run_context(graph, run.kwargs.get("context"))
    if context is not None:
        kwargs["context"] = context
    graph_input = _graph_input(run)
    if "events" not in publisher.modes:
        async for namespace, mode, chunk in graph.astream(graph_input, config, **kwargs):
            await publisher.chunk(namespace, mode, chunk)
        return
    root = str(config["run_id"])
    async for event in graph.astream_events(graph_input, config, version="v2", **kwargs):
        if event["event"] == "on_chain_stream" and event["run_id"] == root:
            namespace, mode, chunk = event["data"]["chunk"]
            await publisher.chunk(namespace, mode, chunk)
        else:
            await publisher.emit("events", event)


async def _success(
    graph: Pregel[Any], run: Run, config: RunnableConfig, publisher: _Publisher
) -> RunOutcome:
    values = publisher.last_values
    interrupts: list[dict[str, Any]] = []
    if isinstance(values, dict) and "__interrupt__" in values:
        values = {k: v for k, v in values.items() if k != "__interrupt__"}
        interrupts = serde.to_jsonable(publisher.last_values["__interrupt__"])
    return RunOutcome(status="success", values=serde.to_jsonable(values), interrupts=interrupts)
