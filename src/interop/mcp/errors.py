"""The MCP door's one error table: core errors as tool results or JSON-RPC errors.

A tool call that fails because of what the caller asked (an unknown thread, a bad resume, a busy
thread) is a *tool execution error*: a result with `isError: true`, so that a model can read
and correct it. Anything else is a JSON-RPC error; unknown exceptions are logged with their
traceback and reach the wire as an opaque internal error.
"""

from __future__ import annotations

import logging
from typing import Any

from mcp.shared.exceptions import MCPError
from mcp_types import INTERNAL_ERROR, INVALID_PARAMS, INVALID_REQUEST

from interop.core.errors import (
    Conflict,
    Forbidden,
    InteropError,
    InvalidInput,
    NotFound,
    Unauthorized,
    Unavailable,
    unavailable,
)

log = logging.getLogger("interop.mcp")

RESOURCE_NOT_FOUND = -32002

# Core error class → JSON-RPC error code, for requests other than tools/call.
RPC_CODES: dict[type[InteropError], int] = {
    NotFound: INVALID_PARAMS,
    InvalidInput: INVALID_PARAMS,
    Conflict: INVALID_REQUEST,
    Unauthorized: INVALID_REQUEST,
    Forbidden: INVALID_REQUEST,
    Unavailable: INTERNAL_ERROR,
}

# Core errors a tool call reports as a tool execution error (isError result).
TOOL_ERRORS: tuple[type[InteropError], ...] = (NotFound, InvalidInput, Conflict, Forbidden)


def tool_error(message: str, meta: dict[str, Any] | None = None) -> dict[str, Any]:
    """A tool execution error result."""
    result: dict[str, Any] = {
        "content": [{"type": "text", "text": message}],
        "isError": True,
        "resultType": "complete",
    }
    if meta:
        result["_meta"] = meta
    return result


def rpc_error(exc: InteropError) -> MCPError:
    """The JSON-RPC error for a core error raised outside a tool call."""
    for cls in type(exc).__mro__:
        code = RPC_CODES.get(cls)
        if code is not None:
            return MCPError(code=code, message=exc.message)
    return MCPError(code=INTERNAL_ERROR, message="Internal error")


def internal(exc: BaseException) -> MCPError:
    """An unexpected failure: logged here, opaque on the wire (a backend outage: said so)."""
    outage = unavailable(exc)
    if outage is not None:
        log.warning("MCP request: backend unreachable: %s", exc)
        return MCPError(code=INTERNAL_ERROR, message=outage.message)
    log.error("MCP request failed", exc_info=exc)
    return MCPError(code=INTERNAL_ERROR, message="Internal error")


def invalid_params(message: str) -> MCPError:
    return MCPError(code=INVALID_PARAMS, message=message)
