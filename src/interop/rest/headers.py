"""Request headers copied into a run's `config.configurable` (`http.configurable_headers`)."""

from __future__ import annotations

from starlette.requests import Request

from interop.core.headers import DEFAULT_HEADER_FILTER, HeaderFilter
from interop.core.models import RunRequest


def with_request_headers(request: Request, run_request: RunRequest) -> RunRequest:
    """`run_request` with the headers the server's filter allows added to its configurable (a
    header wins over the same key in the body, as in the reference)."""
    selected: HeaderFilter = getattr(request.app.state, "header_filter", DEFAULT_HEADER_FILTER)
    picked = selected.pick(request.headers)
    if picked:
        config = dict(run_request.config)
        config["configurable"] = {**config.get("configurable", {}), **picked}
        run_request.config = config
    return run_request
