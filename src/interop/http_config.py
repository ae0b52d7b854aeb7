"""The `http` key of the config file: CORS, a user's app beside the API, route groups switched
off, and which request headers reach a run's config.

```json
"http": {
  "app": "./webapp.py:app",
  "cors": {"allow_origins": ["https://app.example"], "allow_credentials": true},
  "disable_store": true,
  "configurable_headers": {"include": ["x-user-id", "my-prefix-*"], "exclude": ["x-secret"]}
}
```

Route order follows the reference: `/ok`, `/metrics`, `/docs`, `/openapi.json` first (a user's
app cannot shadow them), then the user's routes, then `/info` and the API (assistants, threads,
runs, store, A2A, MCP), which the user's routes shadow where both match.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from interop.core import headers as run_headers
from interop.core.graphs import ConfigError, import_location
from interop.core.headers import DEFAULT_HEADER_FILTER, HeaderFilter

log = logging.getLogger("interop")

GROUPS = ("assistants", "threads", "runs", "store", "meta", "mcp", "a2a")
_UNSERVED = {
    "logging_headers": "request headers are not added to logs",
    "middleware_order": "the user's middleware runs outside the bearer check",
    "enable_custom_route_auth": "the user's routes are not behind the bearer check",
    "mount_prefix": "the API is served at the root",
    "disable_ui": None,
    "disable_webhooks": None,
}
_CORS_LISTS = ("allow_origins", "allow_methods", "allow_headers", "expose_headers")
_CORS_KEYS = frozenset({*_CORS_LISTS, "allow_credentials", "max_age", "allow_origin_regex"})
# Paths that stay when `disable_meta` is set (the health check) or that no user app shadows.
_UNSHADOWABLE = ("/ok", "/metrics", "/docs", "/openapi.json")
_META = frozenset({"/", "/ok", "/info", "/metrics", "/docs", "/openapi.json"})


@dataclass(frozen=True, slots=True)
class HttpConfig:
    """The parsed `http` section (defaults when the config file has none)."""

    app: str | None = None
    cors: dict[str, Any] | None = None
    disabled: frozenset[str] = frozenset()
    headers: HeaderFilter = DEFAULT_HEADER_FILTER
    base: Path = field(default_factory=Path.cwd)


def parse(raw: Any, path: Path | None) -> HttpConfig:
    """Validate the `http` section. Raises ConfigError naming the bad key."""
    where = f"{path}: http" if path is not None else "http"
    base = path.parent if path is not None else Path.cwd()
    if raw is None:
        return HttpConfig(base=base)
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: must be an object")
    known = {"app", "cors", "configurable_headers", *(f"disable_{g}" for g in GROUPS)}
    unknown = sorted(set(raw) - known - set(_UNSERVED))
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(map(repr, unknown))}")
    for key in sorted(set(raw) & set(_UNSERVED)):
        if _UNSERVED[key] is not None and raw[key]:
            log.warning("%s.%s is not served by interop yet: %s", where, key, _UNSERVED[key])
    disabled = set()
    for group in GROUPS:
        value = raw.get(f"disable_{group}", False)
        if not isinstance(value, bool):
            raise ConfigError(f"{where}.disable_{group}: must be true or false")
        if value:
            disabled.add(group)
    app = raw.get("app")
    if app is not None and (not isinstance(app, str) or ":" not in app):
        raise ConfigError(f"{where}.app: expected 'path/to/file.py:app', got {app!r}")
    return HttpConfig(
        app=app,
        cors=_cors(raw.get("cors"), f"{where}.cors"),
        disabled=frozenset(disabled),
        headers=_headers(raw.get("configurable_headers"), f"{where}.configurable_headers"),
        base=base,
    )


def _cors(raw: Any, where: str) -> dict[str, Any] | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: must be an object")
    unknown = sorted(set(raw) - _CORS_KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(map(repr, unknown))}")
    for key in _CORS_LISTS:
        if key in raw and not _strings(raw[key]):
            raise ConfigError(f"{where}.{key}: must be a list of strings")
    if not isinstance(raw.get("allow_credentials", False), bool):
        raise ConfigError(f"{where}.allow_credentials: must be true or false")
    max_age = raw.get("max_age", 600)
    if not isinstance(max_age, int) or isinstance(max_age, bool) or max_age < 0:
        raise ConfigError(f"{where}.max_age: must be a number of seconds")
    if not isinstance(raw.get("allow_origin_regex", ""), str):
        raise ConfigError(f"{where}.allow_origin_regex: must be a string")
    return dict(raw)


def _headers(raw: Any, where: str) -> HeaderFilter:
    if raw is None:
        return DEFAULT_HEADER_FILTER
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: must be an object")
    # The reference reads both spellings.
    include = raw.get("include", raw.get("includes"))
    exclude = raw.get("exclude", raw.get("excludes"))
    for name, value in (("include", include), ("exclude", exclude)):
        if value is not None and not _strings(value):
            raise ConfigError(f"{where}.{name}: must be a list of header names or patterns")
    return HeaderFilter.from_patterns(include, exclude)


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def load(path: Path | None) -> HttpConfig:
    """The `http` section of the config file at `path` (already validated by `parse` when the
    graphs were loaded)."""
    if path is None:
        return HttpConfig()
    raw = orjson.loads(path.read_bytes())
    return parse(raw.get("http") if isinstance(raw, dict) else None, path)


def load_user_app(config: HttpConfig) -> Starlette | None:
    """Import `http.app`. Raises ConfigError when it cannot be imported or is not a Starlette
    (or FastAPI) application."""
    if config.app is None:
        return None
    location, _, attr = config.app.rpartition(":")
    module = import_location("http.app", location, config.base)
    app = getattr(module, attr, None)
    if not isinstance(app, Starlette):
        raise ConfigError(
            f"http.app: {config.app} is a {type(app).__name__}, not a Starlette or FastAPI app"
        )
    return app


def _group(path: str) -> str:
    """The route group a REST path belongs to (its `disable_*` switch)."""
    if path in _META or path.startswith("/docs"):
        return "meta"
    if path.startswith("/runs") or "/runs" in path or path.endswith("/stream"):
        return "runs"
    return path.strip("/").split("/", 1)[0]


def assemble(
    config: HttpConfig,
    *,
    api: Sequence[BaseRoute],
    a2a: Sequence[BaseRoute],
    mcp: Sequence[BaseRoute],
    user_app: Starlette | None,
) -> list[BaseRoute]:
    """The server's routes in the reference's order, without the disabled groups."""
    off = config.disabled
    first: list[BaseRoute] = []
    rest: list[BaseRoute] = []
    for route in api:
        path = getattr(route, "path", "")
        group = _group(path)
        if group == "meta" and "meta" in off:
            if path == "/ok":
                first.append(route)  # the health check stays
            continue
        if group in off:
            continue
        unshadowable = group == "meta" and (path in _UNSHADOWABLE or path.startswith("/docs"))
        (first if unshadowable else rest).append(route)
    if "a2a" not in off:
        rest.extend(a2a)
    if "mcp" not in off:
        rest.extend(mcp)
    user = list(user_app.routes) if user_app is not None else []
    return [*first, *user, *rest]


def middleware(config: HttpConfig, user_app: Starlette | None) -> list[Middleware]:
    """CORS outermost (a preflight is answered before any auth), then the user's app's own
    middleware, which the reference applies to the whole server."""
    stack: list[Middleware] = []
    if config.cors is not None:
        stack.append(Middleware(CORSMiddleware, **config.cors))
    if user_app is not None:
        stack.extend(user_app.user_middleware)
    return stack


class RunHeaders:
    """Pure ASGI: picks the request headers its runs receive (`configurable_headers`) once at
    the edge, for every door: in the scope (an MCP session serves its requests on a task of its
    own and reads them there) and in the context of the request's own task."""

    def __init__(self, app: ASGIApp, selected: HeaderFilter) -> None:
        self.app = app
        self.selected = selected

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        names = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        picked = self.selected.pick(names)
        scope[run_headers.SCOPE_KEY] = picked
        with run_headers.serving(picked):
            await self.app(scope, receive, send)


def lifespan_with_user_app(
    ours: Callable[[Starlette], contextlib.AbstractAsyncContextManager[None]],
    user_app: Starlette | None,
) -> Callable[[Starlette], contextlib.AbstractAsyncContextManager[None]]:
    """Our lifespan around the user's app's lifespan (its startup runs after ours)."""
    if user_app is None:
        return ours

    @contextlib.asynccontextmanager
    async def both(app: Starlette) -> AsyncIterator[None]:
        async with ours(app), user_app.router.lifespan_context(user_app):
            yield

    return both
