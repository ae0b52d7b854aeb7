"""Fast JSON responses (orjson, via the core's encoder)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from interop.core import serde


class JSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return serde.dumps(content)
