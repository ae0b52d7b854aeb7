"""2025-era MCP sessions that any process serves: no sticky routing needed.

What a session is beyond its transport is a record in storage (kind `mcp-session`): the
negotiated protocol version, the client's `initialize` params (capabilities, info), the
credential that opened it and its log level. It is written when `initialize` is answered
(before the response leaves, so the client's next request finds it on any process) and kept
alive by the session's requests, for the session idle timeout after the last one.

A process that gets a request for a session it does not hold rebuilds it from that record
(`_restore`): a transport with the session's id and event store, and the SDK's server loop on a
connection already initialized with the recorded params. The session's events (for resumed
streams) are in the broker, whichever process published them (see `events`).

Messages that cross processes go as broker signals:
- `mcp:replies`: a client's response to a server request (an elicitation answer, a sampling
  result), POSTed to any process, is handed to every process holding the session; the one whose
  request is pending takes it (the others' dispatchers drop an unknown id). Restored sessions
  number their server requests from a random offset, so two processes asking one client at once
  do not use the same ids.
- `mcp:ended`: a session was deleted (DELETE, on any process): every process drops it, and its
  record is deleted.
- `mcp:changed`: a session's record changed (its log level): processes holding it read it again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, cast
from uuid import uuid4

import anyio
import orjson
from anyio.abc import TaskStatus
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser, authorization_context
from mcp.server.connection import Connection
from mcp.server.runner import serve_connection
from mcp.server.streamable_http import MCP_SESSION_ID_HEADER, StreamableHTTPServerTransport
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.shared.jsonrpc_dispatcher import JSONRPCDispatcher
from mcp.shared.message import SessionMessage
from mcp.shared.transport_context import TransportContext
from mcp_types import (
    InitializeRequestParams,
    JSONRPCError,
    JSONRPCMessage,
    JSONRPCResponse,
)
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS, LATEST_HANDSHAKE_VERSION
from pydantic import TypeAdapter, ValidationError
from starlette.types import Message, Receive, Scope, Send

from interop.core.events import EventBroker
from interop.core.records import RecordService
from interop.mcp.answers import Transport
from interop.mcp.events import SessionEvents

log = logging.getLogger("interop.mcp")

KIND = "mcp-session"
REPLIES = "mcp:replies"
ENDED = "mcp:ended"
CHANGED = "mcp:changed"
TOUCH_EVERY = 60.0  # seconds between two refreshes of a session record's expiry by one process

_MESSAGE = TypeAdapter(JSONRPCMessage)
# Called when this process starts serving a session another opened (with its connection), and
# when the session's record changed (connection None).
Restored = Callable[[str, Connection | None, dict[str, Any]], None]


def negotiated(params: dict[str, Any] | None) -> tuple[InitializeRequestParams, str]:
    """The `initialize` params and the version the SDK answers them with (its own rule)."""
    init = InitializeRequestParams.model_validate(params or {}, by_name=False)
    requested = init.protocol_version
    return init, requested if requested in HANDSHAKE_PROTOCOL_VERSIONS else LATEST_HANDSHAKE_VERSION


def owner_of(requestor: Any) -> str | None:
    return None if requestor is None else repr(requestor)


class _RelayingWriter:
    """The transport's read-stream writer, except that a client's response goes to `relay`
    (every process holding the session) instead of this process's dispatcher."""

    def __init__(self, inner: Any, relay: Callable[[JSONRPCMessage], Awaitable[None]]) -> None:
        self.inner = inner
        self._relay = relay

    async def send(self, item: Any) -> None:
        if (
            isinstance(item, SessionMessage)
            and isinstance(item.message, JSONRPCResponse | JSONRPCError)
            and item.message.id is not None
        ):
            await self._relay(item.message)
            return
        await self.inner.send(item)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class SharedTransport(Transport):
    """The door's transport, relaying the client's responses through the broker."""

    relay: Callable[[JSONRPCMessage], Awaitable[None]] | None = None
    local_writer: Any = None

    @contextlib.asynccontextmanager
    async def connect(self) -> AsyncIterator[Any]:
        async with super().connect() as streams:
            self.local_writer = self._read_stream_writer
            if self.relay is not None:
                self._read_stream_writer = cast(
                    Any, _RelayingWriter(self._read_stream_writer, self.relay)
                )
            yield streams

    async def deliver(self, message: JSONRPCMessage) -> None:
        """Hand a client's message (relayed by any process) to this process's dispatcher."""
        if self.local_writer is not None and not self.is_terminated:
            with contextlib.suppress(anyio.ClosedResourceError, anyio.BrokenResourceError):
                await self.local_writer.send(SessionMessage(message))


class SessionRecords:
    """The sessions' records in storage."""

    def __init__(self, records: RecordService, ttl: float) -> None:
        self.records = records
        self.ttl = ttl

    async def save(self, session_id: str, data: dict[str, Any]) -> None:
        await self.records.put(KIND, session_id, data, ttl=self.ttl)

    async def refresh(self, session_id: str, data: dict[str, Any]) -> bool:
        """Rewrite a live record (its expiry from now); False when the session was deleted or
        expired meanwhile (a refresh racing a DELETE never brings the session back)."""
        return await self.records.update(KIND, session_id, data, ttl=self.ttl)

    async def load(self, session_id: str) -> dict[str, Any] | None:
        record = await self.records.get(KIND, session_id)
        return None if record is None else record.data

    async def delete(self, session_id: str) -> None:
        await self.records.delete(KIND, session_id)


class SessionManager(StreamableHTTPSessionManager):
    """The SDK session manager, with sessions any process can serve (see the module)."""

    def __init__(
        self,
        broker: EventBroker,
        sessions: SessionRecords,
        restored: Restored,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._broker = broker
        self.sessions = sessions
        self._restored = restored
        self._touched: dict[str, float] = {}
        self._data: dict[str, dict[str, Any]] = {}

    # -- lifecycle ----------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def run(self) -> AsyncIterator[None]:
        async with (
            super().run(),
            self._broker.listen(REPLIES) as replies,
            self._broker.listen(ENDED) as ended,
            self._broker.listen(CHANGED) as changed,
        ):
            followers = [
                asyncio.create_task(self._follow(replies, self._on_reply)),
                asyncio.create_task(self._follow(ended, self._on_ended)),
                asyncio.create_task(self._follow(changed, self._on_changed)),
            ]
            try:
                yield
            finally:
                for follower in followers:
                    follower.cancel()

    async def _follow(
        self, signals: AsyncIterator[bytes], handle: Callable[[bytes], Awaitable[None]]
    ) -> None:
        async for payload in signals:
            try:
                await handle(payload)
            except (ValueError, KeyError, ValidationError):
                log.warning("ignoring a malformed MCP session signal")
            except Exception:
                # One failed signal must not stop this process hearing the next ones.
                log.exception("MCP session signal failed")

    async def _on_reply(self, payload: bytes) -> None:
        body = orjson.loads(payload)
        transport = self._server_instances.get(body["session"])
        if isinstance(transport, SharedTransport):
            await transport.deliver(_MESSAGE.validate_python(body["message"], by_name=False))

    async def _on_ended(self, payload: bytes) -> None:
        await self._drop(payload.decode())

    async def _drop(self, session_id: str) -> None:
        """Stop serving the session here, if this process holds it."""
        transport = self._server_instances.get(session_id)
        if transport is not None:
            await self._discard_session(session_id, transport)

    async def _on_changed(self, payload: bytes) -> None:
        session_id = payload.decode()
        if session_id in self._server_instances:
            data = await self.sessions.load(session_id)
            if data is not None:
                self._data[session_id] = data
                self._restored(session_id, None, data)

    # -- the record ---------------------------------------------------------------------------

    async def _serve_opening_request(
        self,
        http_transport: StreamableHTTPServerTransport,
        scope: Scope,
        receive: Receive,
        send: Send,
    ) -> None:
        # The record is written when the `initialize` is accepted, before its answer leaves:
        # the client's next request may reach any process.
        session_id = http_transport.mcp_session_id
        body = bytearray()
        recorded = False

        async def receiving() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                body.extend(message.get("body", b""))
            return message

        async def sending(message: Message) -> None:
            nonlocal recorded
            if (
                message["type"] == "http.response.start"
                and message["status"] < 400
                and session_id is not None
                and not recorded
            ):
                recorded = True
                await self._record_opening(session_id, bytes(body))
            await send(message)

        await super()._serve_opening_request(http_transport, scope, receiving, sending)

    async def _record_opening(self, session_id: str, body: bytes) -> None:
        try:
            message = orjson.loads(body)
            params = message.get("params") if isinstance(message, dict) else None
            await self.record_initialize(session_id, params if isinstance(params, dict) else None)
        except (orjson.JSONDecodeError, ValidationError):
            log.warning("MCP session %s: cannot record its initialize", session_id)

    async def record_initialize(self, session_id: str, params: dict[str, Any] | None) -> None:
        """Write the session's record (its `initialize` accepted)."""
        init, version = negotiated(params)
        data = {
            "version": version,
            "client": init.model_dump(by_alias=True, mode="json", exclude_none=True),
            "owner": owner_of(self._session_owners.get(session_id)),
            "level": None,
        }
        await self.sessions.save(session_id, data)
        self._data[session_id] = data
        self._touched[session_id] = time.monotonic()

    async def record_level(self, session_id: str, level: str) -> None:
        """Record the session's log level and tell the other processes holding it."""
        data = self._data.get(session_id) or await self.sessions.load(session_id)
        if data is None:
            return
        data = {**data, "level": level}
        if not await self.sessions.refresh(session_id, data):
            return
        self._data[session_id] = data
        self._touched[session_id] = time.monotonic()
        await self._broker.signal(CHANGED, session_id.encode())

    async def _touch(self, session_id: str) -> None:
        last = self._touched.get(session_id)
        data = self._data.get(session_id)
        if data is None or (last is not None and time.monotonic() - last < TOUCH_EVERY):
            return
        self._touched[session_id] = time.monotonic()
        if not await self.sessions.refresh(session_id, data):
            # Deleted by another process (its signal not here yet) or expired: stop serving it.
            await self._drop(session_id)

    # -- requests -----------------------------------------------------------------------------

    async def _handle_stateful_request(self, scope: Scope, receive: Receive, send: Send) -> None:
        session_id = _header(scope, MCP_SESSION_ID_HEADER.lower().encode())
        if session_id is not None and session_id not in self._server_instances:
            user = scope.get("user")
            requestor = authorization_context(user) if isinstance(user, AuthenticatedUser) else None
            async with self._session_creation_lock:
                if session_id not in self._server_instances:
                    await self._restore(session_id, requestor)
        transport = self._server_instances.get(session_id) if session_id else None
        if session_id is not None and transport is not None and scope.get("method") == "DELETE":
            send = self._deleting(session_id, send)
        await super()._handle_stateful_request(scope, receive, send)
        if session_id is None or transport is None:
            return
        if not transport.is_terminated:
            await self._touch(session_id)

    def _deleting(self, session_id: str, send: Send) -> Send:
        """`send` for a DELETE of the session: its record is deleted, and the other processes
        told, before the answer starts, so no request the client sends after the answer can
        bring the session back (any process would otherwise rebuild it from the record)."""

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] < 400:
                await self._ended(session_id)
            await send(message)

        return sending

    async def _discard_session(
        self, session_id: str, transport: StreamableHTTPServerTransport
    ) -> None:
        # This process stops serving the session (idle, deleted, shut down); its record stays
        # for the others unless it was deleted (`_ended`).
        self._data.pop(session_id, None)
        self._touched.pop(session_id, None)
        await super()._discard_session(session_id, transport)

    async def _ended(self, session_id: str) -> None:
        await self.sessions.delete(session_id)
        await self._broker.signal(ENDED, session_id.encode())

    async def _relay(self, session_id: str, message: JSONRPCMessage) -> None:
        body = {
            "session": session_id,
            "message": message.model_dump(by_alias=True, mode="json", exclude_unset=True),
        }
        await self._broker.signal(REPLIES, orjson.dumps(body))

    def _transport(self, session_id: str) -> SharedTransport:
        transport = SharedTransport(
            mcp_session_id=session_id,
            is_json_response_enabled=self.json_response,
            event_store=SessionEvents(self._broker, session_id),
            security_settings=self.security_settings,
            retry_interval=self.retry_interval,
            idle_timeout=self.session_idle_timeout,
        )

        async def relay(message: JSONRPCMessage) -> None:
            await self._relay(session_id, message)

        transport.relay = relay
        return transport

    def _admit_session(self, requestor: Any) -> StreamableHTTPServerTransport | None:
        # The SDK's own admission, with our transport class and the session's event store.
        if self.max_sessions is not None and len(self._server_instances) >= self.max_sessions:
            return None
        session_id = uuid4().hex
        transport = self._transport(session_id)
        if requestor is not None:
            self._session_owners[session_id] = requestor
        self._server_instances[session_id] = transport
        log.debug("MCP session %s opened", session_id)
        return transport

    async def _restore(self, session_id: str, requestor: Any) -> None:
        """Serve a session another process opened, from its record (nothing when there is
        none, or it was opened with another credential: the SDK then answers 404)."""
        if len(session_id) > 128:
            return
        data = await self.sessions.load(session_id)
        if data is None or data.get("owner") != owner_of(requestor):
            return
        if self.max_sessions is not None and len(self._server_instances) >= self.max_sessions:
            return
        try:
            client = InitializeRequestParams.model_validate(data["client"], by_name=False)
        except (KeyError, ValidationError):
            log.warning("MCP session %s has an unreadable record", session_id)
            return
        transport = self._transport(session_id)
        if requestor is not None:
            self._session_owners[session_id] = requestor
        self._server_instances[session_id] = transport
        self._data[session_id] = data
        version = str(data.get("version") or LATEST_HANDSHAKE_VERSION)

        async def serve(*, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
            try:
                async with transport.connect() as (read_stream, write_stream):
                    dispatcher: JSONRPCDispatcher[TransportContext] = JSONRPCDispatcher(
                        read_stream, write_stream, inline_methods=frozenset({"initialize"})
                    )
                    # Server requests of this process get ids of their own (see the module).
                    dispatcher._next_id = secrets.randbits(40)
                    connection = Connection.for_loop(dispatcher, session_id=session_id)
                    connection.client_params = client
                    connection.protocol_version = version
                    connection.initialized.set()
                    self._restored(session_id, connection, data)
                    task_status.started()
                    idle_scope = transport.idle_scope or anyio.CancelScope()
                    with idle_scope:
                        await serve_connection(
                            self.app,
                            dispatcher,
                            connection=connection,
                            lifespan_state=self._lifespan_state,
                        )
            except Exception:
                log.exception("MCP session %s crashed", session_id)
            finally:
                await self._discard_session(session_id, transport)

        assert self._task_group is not None
        await self._task_group.start(serve)
        log.debug("MCP session %s restored from its record", session_id)


def _header(scope: Scope, name: bytes) -> str | None:
    value = next((v for k, v in scope["headers"] if k == name), None)
    return None if value is None else value.decode("latin-1")
