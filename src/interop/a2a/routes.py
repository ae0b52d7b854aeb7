"""The A2A routes and their wiring: the JSON-RPC endpoint and the agent cards."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from interop.a2a import config as a2a_config
from interop.a2a.handler import A2AHandler
from interop.a2a.jsonrpc import A2AEndpoint
from interop.a2a.push import PushService, PushSettings
from interop.core.assistants import AssistantService
from interop.core.errors import InteropError
from interop.core.runs import RunService
from interop.core.threads import ThreadService
from interop.settings import Settings

CARD = "/.well-known/agent-card.json"
LEGACY_CARD = "/.well-known/agent.json"


@dataclass(slots=True)
class A2AFrontDoor:
    handler: A2AHandler
    endpoint: A2AEndpoint
    default_assistant: str
    _cards: dict[tuple[str, str, str], bytes] = field(default_factory=dict)

    async def close(self) -> None:
        await self.handler.push.close()

    def forget_cards(self) -> None:
        self._cards.clear()


def start(
    settings: Settings,
    graphs: dict[str, Any],
    assistants: AssistantService,
    threads: ThreadService,
    runs: RunService,
) -> A2AFrontDoor:
    """Build the front door on the running services (called from the app's lifespan)."""
    config = a2a_config.load(settings.resolve_config())
    push = PushService(PushSettings(allow_private=config.allow_private_push_urls))
    handler = A2AHandler(
        assistants, threads, runs, push, config, auth=settings.auth_token is not None
    )
    endpoint = A2AEndpoint(
        handler,
        max_body=settings.max_body_bytes,
        heartbeat=settings.heartbeat_seconds,
        public_url=settings.base_url(),
    )
    default = config.default_assistant or next(iter(graphs), "")
    door = A2AFrontDoor(handler, endpoint, default)
    assistants.add_listener(door.forget_cards)
    return door


def _door(request: Request) -> A2AFrontDoor:
    return request.app.state.a2a  # type: ignore[no-any-return]


async def jsonrpc(request: Request) -> Response:
    return await _door(request).endpoint(request)


def _card_version(request: Request, legacy: bool) -> str:
    if legacy:
        return "0.3"
    value = request.headers.get("a2a-version") or request.query_params.get("A2A-Version") or ""
    return "0.3" if value.strip().startswith("0.3") else "1.0"


async def _card(request: Request, path_id: str, legacy: bool) -> Response:
    door = _door(request)
    version = _card_version(request, legacy)
    base = door.endpoint.base_url(request)
    key = (path_id, version, base)
    body = door._cards.get(key)
    if body is None:
        try:
            assistant = await door.handler.assistant(path_id)
        except InteropError:
            return Response(
                orjson.dumps({"detail": f"No agent '{path_id[:100]}' here."}),
                status_code=404,
                media_type="application/json",
            )
        card = await door.handler.card(assistant, f"{base}/a2a/{path_id}", version)
        body = orjson.dumps(card)
        if len(door._cards) > 1000:
            door._cards.clear()
        door._cards[key] = body
    return Response(
        body,
        media_type="application/json",
        headers={"Cache-Control": "public, max-age=60", "Vary": "A2A-Version"},
    )


async def assistant_card(request: Request) -> Response:
    legacy = request.url.path.endswith(LEGACY_CARD)
    return await _card(request, str(request.path_params["assistant_id"]), legacy)


async def root_card(request: Request) -> Response:
    path_id = request.query_params.get("assistant_id") or _door(request).default_assistant
    return await _card(request, path_id, request.url.path == LEGACY_CARD)


def routes() -> list[Route]:
    return [
        Route("/a2a/{assistant_id}", jsonrpc, methods=["POST"]),
        Route("/a2a/{assistant_id}/", jsonrpc, methods=["POST"]),
        Route("/a2a/{assistant_id}" + CARD, assistant_card, methods=["GET"]),
        Route("/a2a/{assistant_id}" + LEGACY_CARD, assistant_card, methods=["GET"]),
        Route(CARD, root_card, methods=["GET"]),
        Route(LEGACY_CARD, root_card, methods=["GET"]),
    ]


def is_open_path(path: str) -> bool:
    """Agent cards are public, also when the server requires a token."""
    return path in (CARD, LEGACY_CARD) or (
        path.startswith("/a2a/") and (path.endswith(CARD) or path.endswith(LEGACY_CARD))
    )
