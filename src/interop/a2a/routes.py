"""The A2A routes and their wiring: the JSON-RPC endpoint and the agent cards."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from interop.a2a import card as cards
from interop.a2a import config as a2a_config
from interop.a2a.card import COMPAT
from interop.a2a.handler import A2AHandler
from interop.a2a.http_binding import HttpJsonEndpoint
from interop.a2a.jsonrpc import A2AEndpoint
from interop.a2a.push import PushService, PushSettings
from interop.core.assistants import AssistantService
from interop.core.errors import InteropError
from interop.core.records import RecordService
from interop.core.runs import RunService
from interop.core.threads import ThreadService
from interop.settings import Settings

CARD = "/.well-known/agent-card.json"
LEGACY_CARD = "/.well-known/agent.json"


@dataclass(slots=True)
class A2AFrontDoor:
    handler: A2AHandler
    endpoint: A2AEndpoint
    http: HttpJsonEndpoint
    default_assistant: str
    _cards: dict[tuple[str, str, str], tuple[bytes, str]] = field(default_factory=dict)

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
    records: RecordService,
    custom_auth: dict[str, Any] | None = None,
) -> A2AFrontDoor:
    """Build the front door on the running services (called from the app's lifespan).
    `custom_auth`: the `auth.openapi` of a project with a custom auth handler (None without
    one): the cards declare its security schemes, and `--auth-token` (ignored then) none."""
    config = a2a_config.load(settings.resolve_config())
    push = PushService(records, PushSettings(allow_private=config.allow_private_push_urls))
    token = settings.auth_token is not None and custom_auth is None
    handler = A2AHandler(
        assistants,
        threads,
        runs,
        push,
        config,
        auth=token,
        security=cards.security_of(token, custom_auth),
    )
    endpoint = A2AEndpoint(
        handler,
        max_body=settings.max_body_bytes,
        heartbeat=settings.heartbeat_seconds,
        public_url=settings.base_url(),
    )
    default = config.default_assistant or next(iter(graphs), "")
    door = A2AFrontDoor(handler, endpoint, HttpJsonEndpoint(endpoint), default)
    assistants.add_listener(door.forget_cards)
    return door


def _door(request: Request) -> A2AFrontDoor:
    return request.app.state.a2a  # type: ignore[no-any-return]


async def jsonrpc(request: Request) -> Response:
    return await _door(request).endpoint(request)


async def http_json(request: Request) -> Response:
    return await _door(request).http(request)


def _card_version(request: Request, legacy: bool) -> str:
    """Which card to serve: the one the `A2A-Version` header (or query) names; none named, the
    merged card both versions read (a2a-sdk 0.3 clients send no header and need `url`; the 1.x
    SDKs send `A2A-Version: 1.0` and get the strict 1.0 card). The older path is 0.3's own."""
    if legacy:
        return "0.3"
    value = request.headers.get("a2a-version") or request.query_params.get("A2A-Version") or ""
    value = value.strip()
    if not value:
        return COMPAT
    return "0.3" if value.startswith("0.") else "1.0"


async def _card(request: Request, path_id: str, legacy: bool) -> Response:
    door = _door(request)
    version = _card_version(request, legacy)
    base = door.endpoint.base_url(request)
    key = (path_id, version, base)
    cached = door._cards.get(key)
    if cached is None:
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
        # Spec 8.6.1: an ETag from a hash of the card (weak: the same card, byte for byte or not).
        cached = (body, f'W/"{hashlib.sha256(body).hexdigest()[:32]}"')
        if len(door._cards) > 1000:
            door._cards.clear()
        door._cards[key] = cached
    body, etag = cached
    headers = {"Cache-Control": "public, max-age=60", "Vary": "A2A-Version", "ETag": etag}
    if _matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


def _matches(if_none_match: str | None, etag: str) -> bool:
    """Whether `If-None-Match` names `etag` (weak comparison, RFC 9110 13.1.2) or is `*`."""
    if not if_none_match:
        return False
    tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
    return "*" in tags or etag.removeprefix("W/") in tags


async def assistant_card(request: Request) -> Response:
    legacy = request.url.path.endswith(LEGACY_CARD)
    return await _card(request, str(request.path_params["assistant_id"]), legacy)


async def root_card(request: Request) -> Response:
    """The default agent's card (or `?assistant_id=`'s), at the root and under `/a2a/`: a client
    that resolves the card relative to `/a2a/{assistant_id}` (no trailing slash) lands there."""
    path_id = request.query_params.get("assistant_id") or _door(request).default_assistant
    return await _card(request, path_id, request.url.path.endswith(LEGACY_CARD))


def routes() -> list[Route]:
    return [
        Route("/a2a/{assistant_id}", jsonrpc, methods=["POST"]),
        Route("/a2a/{assistant_id}/", jsonrpc, methods=["POST"]),
        Route("/a2a/{assistant_id}" + CARD, assistant_card, methods=["GET"]),
        Route("/a2a/{assistant_id}" + LEGACY_CARD, assistant_card, methods=["GET"]),
        Route(CARD, root_card, methods=["GET"]),
        Route(LEGACY_CARD, root_card, methods=["GET"]),
        Route("/a2a" + CARD, root_card, methods=["GET"]),
        Route("/a2a" + LEGACY_CARD, root_card, methods=["GET"]),
        # The HTTP+JSON binding (after the cards, which it would otherwise shadow).
        Route("/a2a/{assistant_id}/{rest:path}", http_json, methods=["GET", "POST", "DELETE"]),
    ]


def is_open_path(path: str) -> bool:
    """Agent cards are public, also when the server requires a token."""
    return path in (CARD, LEGACY_CARD) or (
        path.startswith("/a2a/") and (path.endswith(CARD) or path.endswith(LEGACY_CARD))
    )
