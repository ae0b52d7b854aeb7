"""The toolkit's routes over the core services: a call is a run on a thread (created when new),
an answer to an interrupt resumes it, feedback is kept in the thread's metadata by run id."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import orjson
from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Mount, Route

from interop.core import serde
from interop.core.errors import InvalidInput, NotFound
from interop.core.ids import is_uuid
from interop.core.models import Run, RunRequest, StreamEvent
from interop.core.runs import RunService
from interop.core.text import content_text
from interop.core.threads import ThreadService
from interop.toolkit import wire

PREFIX = "/toolkit"
OPEN_PATHS = frozenset({PREFIX + "/health"})
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class ToolkitConfig:
    """The `toolkit` key of the config file: what `/info` announces."""

    default_agent: str | None = None
    models: list[str] = field(default_factory=list)
    default_model: str | None = None


def parse_config(raw: Any) -> ToolkitConfig:
    if not isinstance(raw, dict):
        return ToolkitConfig()
    models = raw.get("models")
    default_agent = raw.get("default_agent")
    default_model = raw.get("default_model")
    return ToolkitConfig(
        default_agent=default_agent if isinstance(default_agent, str) else None,
        models=[m for m in models if isinstance(m, str)] if isinstance(models, list) else [],
        default_model=default_model if isinstance(default_model, str) else None,
    )


def load_config(path: Path | None) -> ToolkitConfig:
    if path is None:
        return ToolkitConfig()
    raw = orjson.loads(path.read_bytes())
    return parse_config(raw.get("toolkit") if isinstance(raw, dict) else None)


def _config(request: Request) -> ToolkitConfig:
    config: ToolkitConfig | None = getattr(request.app.state, "toolkit", None)
    return config if config is not None else ToolkitConfig()


def _default_agent(request: Request) -> str:
    graphs: dict[str, Any] = request.app.state.graphs
    configured = _config(request).default_agent
    return configured if configured is not None else next(iter(graphs))


async def _body(request: Request, model: type[M]) -> M:
    try:
        return model.model_validate_json(await request.body())
    except ValidationError as exc:
        fields = ", ".join(".".join(str(p) for p in e["loc"]) or "body" for e in exc.errors())
        raise InvalidInput(f"invalid request body: {fields}") from None


async def info(request: Request) -> Response:
    config = _config(request)
    graphs: dict[str, Any] = request.app.state.graphs
    agents = [
        {"key": graph_id, "description": entry.description or ""}
        for graph_id, entry in graphs.items()
    ]
    return JSONResponse(
        {
            "agents": agents,
            "models": config.models,
            "default_agent": _default_agent(request),
            "default_model": config.default_model,
        }
    )


async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def _start(request: Request, body: wire.UserInput, modes: list[str]) -> Run:
    """Create the run for one toolkit call: a new message, or the answer to the interrupt the
    thread waits on."""
    config = _config(request)
    if body.model is not None and config.models and body.model not in config.models:
        raise InvalidInput(f"model {body.model!r} is not available")
    overlap = wire.RESERVED_CONFIG_KEYS & body.agent_config.keys()
    if overlap:
        raise InvalidInput(f"agent_config contains reserved keys: {sorted(overlap)}")
    agent_id = request.path_params.get("agent_id") or _default_agent(request)
    if agent_id not in request.app.state.graphs and not is_uuid(agent_id):
        raise NotFound(f"Agent '{agent_id}' not found.")  # a path segment: 404, not 422
    thread_id = body.thread_id or str(uuid.uuid4())
    user_id = body.user_id or str(uuid.uuid4())
    configurable: dict[str, Any] = {**body.agent_config, "user_id": user_id}
    if body.model is not None:
        configurable["model"] = body.model
    threads: ThreadService = request.app.state.threads
    interrupted = False
    with contextlib.suppress(NotFound):  # a new thread: created with the run
        interrupted = (await threads.get(thread_id)).status == "interrupted"
    run_request = RunRequest(
        assistant_id=agent_id,
        input=None if interrupted else {"messages": [{"role": "user", "content": body.message}]},
        command={"resume": body.message} if interrupted else None,
        config={"configurable": configurable},
        metadata={"user_id": user_id},
        stream_mode=modes,
        if_not_exists="create",
    )
    runs: RunService = request.app.state.runs
    return await runs.create(thread_id, run_request)


async def invoke(request: Request) -> Response:
    body = await _body(request, wire.UserInput)
    runs: RunService = request.app.state.runs
    run = await _start(request, body, ["values"])
    outcome = await runs.wait(run)
    if outcome.interrupts:
        return JSONResponse(wire.ai_text(outcome.interrupts[0].get("value"), run.run_id))
    messages = (outcome.values or {}).get("messages") if isinstance(outcome.values, dict) else None
    if outcome.status != "success" or not messages:
        return JSONResponse({"detail": "Unexpected error"}, status_code=500)
    message = wire.chat_message(messages[-1], run.run_id)
    if message is None:
        return JSONResponse({"detail": "Unexpected error"}, status_code=500)
    return JSONResponse(message)


def records(event: StreamEvent, body: wire.StreamInput, run_id: str) -> list[dict[str, Any]]:
    """The toolkit stream records for one run event (`token`, `message`, `error`)."""
    name = event.event
    if name not in ("updates", "messages", "custom", "error"):
        return []
    data = serde.loads(event.data)
    if name == "error":
        return [{"type": "error", "content": str(data.get("message") or data.get("error"))}]
    if name == "custom":
        return [{"type": "message", "content": wire.custom_message(data, run_id)}]
    if name == "messages":
        chunk, metadata = data
        if not body.stream_tokens or chunk.get("type") != "AIMessageChunk":
            return []
        if "skip_stream" in (metadata or {}).get("tags", []):
            return []
        text = content_text(chunk.get("content"))
        return [{"type": "token", "content": text}] if text else []
    out = []
    for node, update in (data or {}).items():
        if node == "__interrupt__":
            for interrupt in update or []:
                message = wire.ai_text(interrupt.get("value"), run_id)
                out.append({"type": "message", "content": message})
            continue
        found = update.get("messages", []) if isinstance(update, dict) else []
        for item in found if isinstance(found, list) else [found]:
            converted = wire.chat_message(item, run_id)
            if converted is None:
                continue
            if converted["type"] == "human" and converted["content"] == body.message:
                continue  # the input itself, sent back by the graph
            out.append({"type": "message", "content": converted})
    return out


async def stream(request: Request) -> Response:
    body = await _body(request, wire.StreamInput)
    runs: RunService = request.app.state.runs
    run = await _start(request, body, ["updates", "messages-tuple", "custom"])

    async def events() -> AsyncIterator[bytes]:
        async for event in runs.stream(run):
            for record in records(event, body, run.run_id):
                yield wire.sse(record)
        yield wire.DONE

    return StreamingResponse(events(), media_type="text/event-stream")


async def history(request: Request) -> Response:
    body = await _body(request, wire.ChatHistoryInput)
    threads: ThreadService = request.app.state.threads
    thread = await threads.get(body.thread_id)
    messages = (thread.values or {}).get("messages") or []
    converted = [m for m in (wire.chat_message(item) for item in messages) if m is not None]
    return JSONResponse({"messages": converted})


async def feedback(request: Request) -> Response:
    body = await _body(request, wire.Feedback)
    runs: RunService = request.app.state.runs
    threads: ThreadService = request.app.state.threads
    run = await runs.get(None, body.run_id)
    thread = await threads.get(run.thread_id)
    recorded = dict(thread.metadata.get("feedback") or {})
    entry = dict(recorded.get(run.run_id) or {})
    entry[body.key] = {"score": body.score, **body.kwargs}
    recorded[run.run_id] = entry
    await threads.update(run.thread_id, {"feedback": recorded})
    return JSONResponse({"status": "success"})


def routes() -> list[BaseRoute]:
    inner = [
        Route("/info", info, methods=["GET"]),
        Route("/health", health, methods=["GET"]),
        Route("/invoke", invoke, methods=["POST"]),
        Route("/{agent_id}/invoke", invoke, methods=["POST"]),
        Route("/stream", stream, methods=["POST"]),
        Route("/{agent_id}/stream", stream, methods=["POST"]),
        Route("/history", history, methods=["POST"]),
        Route("/{agent_id}/history", history, methods=["POST"]),
        Route("/feedback", feedback, methods=["POST"]),
    ]
    return [Mount(PREFIX, routes=inner)]
