"""Starting the MCP door inside the server's lifespan."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from interop.core.assistants import AssistantService
from interop.core.records import RecordService
from interop.core.runs import RunService
from interop.core.threads import ThreadService
from interop.mcp.extras import load_extras
from interop.mcp.http import security_settings
from interop.mcp.server import McpDoor
from interop.settings import Settings


@contextlib.asynccontextmanager
async def open_mcp(
    app: Any,
    settings: Settings,
    assistants: AssistantService,
    threads: ThreadService,
    runs: RunService,
    records: RecordService,
) -> AsyncIterator[McpDoor]:
    """Build the door (`app.state.mcp`) and run the SDK session manager for the app's life."""
    door = McpDoor(
        assistants=assistants,
        threads=threads,
        runs=runs,
        records=records,
        broker=runs.broker,
        extras=load_extras(settings.resolve_config()),
        security=security_settings(settings),
        run_timeout=settings.run_timeout,
        max_body_bytes=settings.max_body_bytes,
    )
    async with door.run():
        # Published only now: a request that reaches the door before the SDK's session manager
        # runs fails ("Task group is not initialized"); until then requests queue in `lazy`.
        app.state.mcp = door
        yield door
