"""The MCP door: the SDK's low-level server with handlers that translate onto the core.

`McpDoor` owns the SDK `Server` (handlers), the Streamable-HTTP session manager (both eras:
2025 sessions and 2026-07-28 single exchanges, routed by the SDK on `MCP-Protocol-Version`),
and the listeners that turn core changes into MCP notifications:

- assistants created, updated or deleted → `notifications/tools/list_changed` to every live
  2025 session and every 2026 `subscriptions/listen` stream that asked for it;
- a run ending on a thread → `notifications/resources/updated` for that thread's state resource
  to the sessions subscribed to it (2025) and to matching listen streams (2026).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Coroutine
from typing import Any, cast

from mcp.server import Server
from mcp.server.caching import CacheHint
from mcp.server.connection import Connection
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.lowlevel.server import NotificationOptions
from mcp.server.request_state import RequestStateBoundary, RequestStateSecurity
from mcp.server.session import ServerSession
from mcp.server.streamable_http_manager import DEFAULT_SESSION_IDLE_TIMEOUT
from mcp.server.subscriptions import (
    InMemorySubscriptionBus,
    ListenHandler,
    ResourceUpdated,
    ToolsListChanged,
)
from mcp.server.transport_security import TransportSecuritySettings
from mcp.shared.exceptions import MCPError
from mcp_types import (
    INVALID_PARAMS,
    CallToolRequestParams,
    CompleteRequestParams,
    GetPromptRequestParams,
    PaginatedRequestParams,
    ReadResourceRequestParams,
    ServerCapabilities,
    ServerTasksCapability,
    SetLevelRequestParams,
    SubscribeRequestParams,
    SubscriptionsListenRequestParams,
    UnsubscribeRequestParams,
)
from mcp_types.methods import CACHEABLE_METHODS
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

from interop import __version__
from interop.core import authz
from interop.core import headers as run_headers
from interop.core.assistants import AssistantService
from interop.core.errors import InteropError, NotFound
from interop.core.events import ASSISTANTS_CHANGED, ORIGIN, EventBroker
from interop.core.models import Run, RunOutcome
from interop.core.records import RecordService
from interop.core.runs import RunService
from interop.core.threads import ThreadService
from interop.mcp import extras as x
from interop.mcp.answers import QUIET_METHODS, quiet_request
from interop.mcp.calls import CallSettings, ToolCalls, input_responses
from interop.mcp.errors import RESOURCE_NOT_FOUND, invalid_params, rpc_error
from interop.mcp.events import SessionEvents
from interop.mcp.reporting import SessionLevels, session_id_of
from interop.mcp.resources import THREAD_TEMPLATE, thread_id_of, thread_uri
from interop.mcp.sessions import SessionManager, SessionRecords
from interop.mcp.task_extension import EXTENSION as TASKS_EXTENSION
from interop.mcp.task_extension import TaskExtension
from interop.mcp.tasks import TaskHandlers
from interop.mcp.tools import ToolCatalogue

log = logging.getLogger("interop.mcp")

SERVER_NAME = "interop"
COMPLETE = "complete"
# Results may be cached by clients for no time (tools follow assistants, state follows runs).
CACHE_HINTS: dict[Any, CacheHint] = {
    method: CacheHint(0, "private") for method in CACHEABLE_METHODS
}
_MAX_SESSIONS = 10_000


class _Server(Server[Any]):
    """The SDK server, advertising what the handlers registered below can do."""

    def get_capabilities(
        self,
        notification_options: NotificationOptions | None = None,
        experimental_capabilities: dict[str, dict[str, Any]] | None = None,
        extensions: dict[str, dict[str, Any]] | None = None,
        *,
        protocol_version: str | None = None,
    ) -> ServerCapabilities:
        capabilities = super().get_capabilities(
            NotificationOptions(tools_changed=True, resources_changed=False),
            experimental_capabilities,
            extensions,
            protocol_version=protocol_version,
        )
        # Prompts and resources come from the config and never change while the server runs:
        # no era announces `listChanged` for them (the SDK derives `true` for 2026-07-28 from
        # `subscriptions/listen` being served; only tools and resource updates go out there).
        if capabilities.prompts is not None:
            capabilities.prompts.list_changed = False
        if capabilities.resources is not None:
            capabilities.resources.list_changed = False
        if protocol_version not in MODERN_PROTOCOL_VERSIONS:
            capabilities.tasks = ServerTasksCapability.model_validate(
                {"list": {}, "cancel": {}, "requests": {"tools": {"call": {}}}}
            )
            # The tasks extension is a 2026-07-28 extension; these eras have the utility above.
            extensions = dict(capabilities.extensions or {})
            extensions.pop(TASKS_EXTENSION, None)
            capabilities.extensions = extensions or None
        return capabilities


class McpDoor:
    """Everything the /mcp endpoint needs; `run()` is its lifespan."""

    def __init__(
        self,
        *,
        assistants: AssistantService,
        threads: ThreadService,
        runs: RunService,
        records: RecordService,
        broker: EventBroker,
        extras: x.Extras,
        security: TransportSecuritySettings,
        run_timeout: float,
        max_body_bytes: int,
        retry_interval_ms: int | None = 1000,
    ) -> None:
        self.threads = threads
        self.runs = runs
        self._broker = broker
        self.extras = extras
        self.catalogue = ToolCatalogue(assistants, extras.tools)
        self.levels = SessionLevels()
        self.calls = ToolCalls(
            runs,
            threads,
            self.levels,
            CallSettings(run_timeout=run_timeout, ask_timeout=run_timeout),
        )
        self.tasks = TaskHandlers(self.calls, self.catalogue, records)
        self.task_extension = TaskExtension(self.calls, self.catalogue, records, extras.tools)
        self.bus = InMemorySubscriptionBus()
        self.listen = ListenHandler(self.bus)
        # Live 2025-era sessions (for list_changed) and their resource subscriptions.
        # A session another process opened is known here by its connection (see `sessions`).
        self._sessions: OrderedDict[str, ServerSession | Connection] = OrderedDict()
        # tools/list wire results per protocol version, with the listing they were made from.
        self._listings: dict[str, tuple[list[dict[str, Any]], dict[str, Any]]] = {}
        self._subscriptions: dict[str, set[str]] = {}
        self._announcements: set[asyncio.Task[None]] = set()
        self.server = self._build_server()
        self.manager = SessionManager(
            broker,
            SessionRecords(records, DEFAULT_SESSION_IDLE_TIMEOUT),
            self._restored,
            app=self.server,
            event_store=None,
            json_response=False,
            stateless=False,
            security_settings=security,
            retry_interval=retry_interval_ms,
            max_request_body_size=max_body_bytes,
        )
        # The SDK creates a transport with the manager's store; `_admit_session` swaps in a view.
        self.manager.event_store = SessionEvents(broker, "unused")
        assistants.add_listener(self._assistants_changed)
        runs.add_listener(self._run_changed)

    @contextlib.asynccontextmanager
    async def run(self) -> AsyncIterator[None]:
        await self._warm_catalogue()
        async with self._broker.listen(ASSISTANTS_CHANGED) as changes, self.manager.run():
            follower = asyncio.create_task(self._follow(changes), name="interop-mcp-follow")
            try:
                yield
            finally:
                follower.cancel()
                self.listen.close()

    async def _follow(self, changes: AsyncIterator[bytes]) -> None:
        """Assistants changed by another process (this one's changes come as listener calls)."""
        async for origin in changes:
            if origin != ORIGIN:
                self._assistants_changed()

    async def _warm_catalogue(self) -> None:
        """Build the tool catalogue before the first request (so `input_schema_of` knows every
        tool); a failure only delays it to the first tools/list or call."""
        try:
            await self.catalogue.entries()
        except Exception:  # logged: the first request retries the build
            log.warning("cannot build the MCP tool catalogue at start", exc_info=True)

    async def handle(self, scope: Any, receive: Any, send: Any) -> None:
        receive = await quiet_request(scope, receive, self.quiet)
        await self.manager.handle_request(scope, receive, send)

    def quiet(self, session_id: str, message: dict[str, Any]) -> bool:
        """True when a 2025-era request can send the client nothing before its response, so
        it is answered with a JSON body (see `answers`)."""
        method = message["method"]
        if method in QUIET_METHODS:
            return True
        if method != "tools/call":
            return False
        params = message.get("params")
        if not isinstance(params, dict):
            return False
        meta = params.get("_meta")
        if isinstance(meta, dict) and meta.get("progressToken") is not None:
            return False
        session = self._sessions.get(session_id)
        if session is None or self.levels.is_set(session_id):
            return False
        asks = session.client_capabilities
        return asks is not None and not (asks.elicitation or asks.sampling or asks.roots)

    # -- the SDK server ----------------------------------------------------------------------

    def _build_server(self) -> Server[Any]:
        server = _Server(
            SERVER_NAME,
            version=__version__,
            title="interop",
            cache_hints=CACHE_HINTS,
            # Mcp-Param header checks (2026 tools/call) read the cached catalogue; without this
            # the SDK runs the whole tools/list pipeline before every call.
            get_tool_input_schema=self.catalogue.input_schema_of,
            description="Agents served by interop, as MCP tools.",
            instructions=(
                "Each tool runs an agent. Results carry _meta['interop/thread_id']: pass it back as "
                "the thread_id argument to continue the conversation, with resume to answer an "
                "agent that waits for input."
            ),
        )
        handlers: list[tuple[str, type[Any], Any]] = [
            ("tools/list", PaginatedRequestParams, self._list_tools),
            ("tools/call", CallToolRequestParams, self._call_tool),
            ("resources/list", PaginatedRequestParams, self._list_resources),
            ("resources/templates/list", PaginatedRequestParams, self._list_templates),
            ("resources/read", ReadResourceRequestParams, self._read_resource),
            ("resources/subscribe", SubscribeRequestParams, self._subscribe),
            ("resources/unsubscribe", UnsubscribeRequestParams, self._unsubscribe),
            ("subscriptions/listen", SubscriptionsListenRequestParams, self.listen),
            ("prompts/list", PaginatedRequestParams, self._list_prompts),
            ("prompts/get", GetPromptRequestParams, self._get_prompt),
            ("completion/complete", CompleteRequestParams, self._complete),
        ]
        for method, params_type, handler in handlers:
            server.add_request_handler(method, params_type, handler)
        server.add_request_handler("logging/setLevel", SetLevelRequestParams, self._set_level)
        self.task_extension.register(server, self.tasks)
        server.middleware.append(self._act_as_caller)
        server.middleware.append(self._track_session)
        server.middleware.append(
            RequestStateBoundary(RequestStateSecurity.ephemeral(), default_audience=SERVER_NAME)
        )
        server.middleware.append(self._reuse_listing)
        return server

    async def _act_as_caller(
        self, ctx: ServerRequestContext[Any, Any], call_next: CallNext
    ) -> HandlerResult:
        # A session serves its requests on its own task: each is served as the caller the
        # HTTP request that carried it was authenticated as (none without auth).
        scope = getattr(ctx.request, "scope", None)
        caller = scope.get(authz.SCOPE_KEY) if isinstance(scope, dict) else None
        picked = scope.get(run_headers.SCOPE_KEY) if isinstance(scope, dict) else None
        with authz.acting_as(caller), run_headers.serving(picked):
            return await call_next(ctx)

    async def _track_session(
        self, ctx: ServerRequestContext[Any, Any], call_next: CallNext
    ) -> HandlerResult:
        if ctx.protocol_version not in MODERN_PROTOCOL_VERSIONS and ctx.request_id is not None:
            session_id = session_id_of(ctx)
            if session_id is not None and session_id not in self._sessions:
                self._remember(session_id, ctx.session)
        return await call_next(ctx)

    def _restored(
        self, session_id: str, connection: Connection | None, data: dict[str, Any]
    ) -> None:
        """A session this process serves from its record (see `sessions`), or whose record
        changed."""
        if connection is not None:
            self._remember(session_id, connection)
        level = data.get("level")
        if isinstance(level, str):
            self.levels.set(session_id, cast(Any, level))

    def _remember(self, session_id: str, session: ServerSession | Connection) -> None:
        self._sessions[session_id] = session
        while len(self._sessions) > _MAX_SESSIONS:
            dropped, _ = self._sessions.popitem(last=False)
            self._subscriptions.pop(dropped, None)

    async def _reuse_listing(
        self, ctx: ServerRequestContext[Any, Any], call_next: CallNext
    ) -> HandlerResult:
        """Answer tools/list with the wire result made for the same catalogue and version.

        The SDK validates and re-serializes every tool schema of a tools/list result on each
        request (a quarter of the request's cost here); the result only changes with the
        catalogue, so the shaped result of the first request is handed out again. Requests with
        arguments other than `_meta`, and 2025-era sessions not yet initialized, take the SDK's
        full path (its parameter checks and initialization gate)."""
        params = ctx.params
        legacy = ctx.protocol_version not in MODERN_PROTOCOL_VERSIONS
        if (
            ctx.method != "tools/list"
            or (legacy and ctx.session.client_params is None)
            or (params is not None and not set(params) <= {"_meta"})
        ):
            return await call_next(ctx)
        listing = await self.catalogue.listing()
        cached = self._listings.get(ctx.protocol_version)
        if cached is not None and cached[0] is listing:
            return cached[1]
        result = await call_next(ctx)
        if isinstance(result, dict):
            self._listings[ctx.protocol_version] = (listing, result)
        return result

    # -- tools --------------------------------------------------------------------------------

    async def _list_tools(
        self, ctx: ServerRequestContext[Any, Any], params: PaginatedRequestParams | None
    ) -> dict[str, Any]:
        return {"tools": await self.catalogue.listing(), "resultType": COMPLETE}

    async def _call_tool(
        self, ctx: ServerRequestContext[Any, Any], params: CallToolRequestParams
    ) -> dict[str, Any]:
        entry = await self.catalogue.get(params.name)
        if entry is None:
            raise MCPError(code=INVALID_PARAMS, message=f"Unknown tool: {params.name}")
        arguments = params.arguments or {}
        responses = input_responses(params.input_responses)
        return await self.calls.call(
            ctx,
            entry,
            arguments,
            request_state=params.request_state,
            input_responses=responses,
        )

    # -- resources ----------------------------------------------------------------------------

    async def _list_resources(
        self, ctx: ServerRequestContext[Any, Any], params: PaginatedRequestParams | None
    ) -> dict[str, Any]:
        return {"resources": list(self.extras.resources), "resultType": COMPLETE}

    async def _list_templates(
        self, ctx: ServerRequestContext[Any, Any], params: PaginatedRequestParams | None
    ) -> dict[str, Any]:
        templates = [THREAD_TEMPLATE, *(meta for _, meta in self.extras.templates)]
        return {"resourceTemplates": templates, "resultType": COMPLETE}

    async def _read_resource(
        self, ctx: ServerRequestContext[Any, Any], params: ReadResourceRequestParams
    ) -> dict[str, Any]:
        uri = str(params.uri)
        thread_id = thread_id_of(uri)
        if thread_id is not None:
            try:
                state = await self.threads.get_state(thread_id)
            except InteropError as exc:
                raise _not_found(uri) if isinstance(exc, NotFound) else rpc_error(exc) from exc
            return {"contents": x.contents(uri, "application/json", state), "resultType": COMPLETE}
        found = self.extras.find_resource(uri)
        if found is None:
            raise _not_found(uri)
        reader, variables = found
        mime = next((r.get("mimeType") for r in self.extras.resources if r["uri"] == uri), None)
        value = await x.call(reader, uri, **variables)
        return {"contents": x.contents(uri, mime, value), "resultType": COMPLETE}

    async def _subscribe(
        self, ctx: ServerRequestContext[Any, Any], params: SubscribeRequestParams
    ) -> dict[str, Any]:
        session_id = session_id_of(ctx)
        if session_id is not None:
            self._subscriptions.setdefault(session_id, set()).add(str(params.uri))
        return {}

    async def _unsubscribe(
        self, ctx: ServerRequestContext[Any, Any], params: UnsubscribeRequestParams
    ) -> dict[str, Any]:
        session_id = session_id_of(ctx)
        if session_id is not None:
            self._subscriptions.get(session_id, set()).discard(str(params.uri))
        return {}

    # -- prompts, completion, logging ----------------------------------------------------------

    async def _list_prompts(
        self, ctx: ServerRequestContext[Any, Any], params: PaginatedRequestParams | None
    ) -> dict[str, Any]:
        return {"prompts": list(self.extras.prompts.values()), "resultType": COMPLETE}

    async def _get_prompt(
        self, ctx: ServerRequestContext[Any, Any], params: GetPromptRequestParams
    ) -> dict[str, Any]:
        getter = self.extras.getters.get(params.name)
        if getter is None:
            raise invalid_params(f"Unknown prompt: {params.name}")
        meta = self.extras.prompts[params.name]
        arguments = dict(params.arguments or {})
        for argument in meta.get("arguments") or []:
            if argument.get("required") and argument.get("name") not in arguments:
                raise invalid_params(f"Missing required argument: {argument.get('name')}")
        responses = input_responses(params.input_responses)
        capabilities = ctx.session.client_capabilities
        request = x.PromptRequest(
            input_responses=responses,
            request_state=params.request_state,
            client_capabilities=capabilities.model_dump(by_alias=True, exclude_none=True)
            if capabilities is not None
            else None,
        )
        value = await x.call(getter, arguments, request)
        if isinstance(value, dict):
            return {"resultType": COMPLETE, **value}
        result: dict[str, Any] = {"messages": list(value), "resultType": COMPLETE}
        if meta.get("description"):
            result["description"] = meta["description"]
        return result

    async def _complete(
        self, ctx: ServerRequestContext[Any, Any], params: CompleteRequestParams
    ) -> dict[str, Any]:
        return {"completion": {"values": [], "total": 0, "hasMore": False}, "resultType": COMPLETE}

    async def _set_level(
        self, ctx: ServerRequestContext[Any, Any], params: SetLevelRequestParams
    ) -> dict[str, Any]:
        session_id = session_id_of(ctx)
        if session_id is not None:
            self.levels.set(session_id, params.level)
            await self.manager.record_level(session_id, params.level)
        return {}

    # -- core listeners → notifications ------------------------------------------------------

    def _assistants_changed(self) -> None:
        self.catalogue.invalidate()
        # Rebuild now rather than on the next request: `input_schema_of` reads the catalogue.
        self._spawn(self._warm_catalogue())
        self._spawn(self._announce_tools())

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._announcements.add(task)
        task.add_done_callback(self._announcements.discard)

    async def _announce_tools(self) -> None:
        await self.bus.publish(ToolsListChanged())
        for session_id, session in list(self._sessions.items()):
            try:
                await session.send_tool_list_changed()
            except Exception:
                log.debug("dropping MCP session %s", session_id, exc_info=True)
                self._sessions.pop(session_id, None)
                self._subscriptions.pop(session_id, None)

    async def _run_changed(self, run: Run, outcome: RunOutcome | None) -> None:
        if outcome is None or run.temporary:
            return
        uri = thread_uri(run.thread_id)
        await self.bus.publish(ResourceUpdated(uri=uri))
        for session_id, uris in list(self._subscriptions.items()):
            session = self._sessions.get(session_id)
            if session is None or uri not in uris:
                continue
            try:
                await session.send_resource_updated(uri)
            except Exception:  # noqa: BLE001 - the session has gone: forget it
                self._sessions.pop(session_id, None)
                self._subscriptions.pop(session_id, None)


def _not_found(uri: str) -> MCPError:
    return MCPError(
        code=RESOURCE_NOT_FOUND, message=f"Resource not found: {uri}", data={"uri": uri}
    )
