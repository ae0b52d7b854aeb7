"""The `http` section of the config file: what it accepts and how it routes."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from starlette.routing import Route

from interop import http_config
from interop.core.graphs import ConfigError
from interop.core.headers import DEFAULT_HEADER_FILTER, HeaderFilter


@pytest.mark.parametrize(
    "raw",
    [
        [],
        {"corss": {}},
        {"disable_runs": "yes"},
        {"app": "no-colon"},
        {"app": 3},
        {"cors": {"allow_origin": ["x"]}},
        {"cors": {"allow_origins": "https://a.example"}},
        {"cors": {"allow_credentials": "true"}},
        {"cors": {"max_age": -1}},
        {"configurable_headers": {"include": "x-user-id"}},
        {"configurable_headers": []},
    ],
)
def test_bad_sections_are_config_errors(raw: Any) -> None:
    with pytest.raises(ConfigError):
        http_config.parse(raw, Path("langgraph.json"))


def test_a_full_section_parses() -> None:
    parsed = http_config.parse(
        {
            "app": "./webapp.py:app",
            "cors": {"allow_origins": ["*"], "max_age": 5},
            "disable_store": True,
            "disable_meta": False,
            "configurable_headers": {"includes": ["x-a"]},
        },
        Path("/project/langgraph.json"),
    )
    assert parsed.app == "./webapp.py:app"
    assert parsed.cors == {"allow_origins": ["*"], "max_age": 5}
    assert parsed.disabled == {"store"}
    assert parsed.base == Path("/project")
    assert parsed.headers.allows("x-a") and not parsed.headers.allows("x-b")


def test_unserved_keys_warn(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="interop"):
        http_config.parse({"mount_prefix": "/api", "disable_ui": True}, None)
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 1


def test_the_default_header_filter() -> None:
    picked = DEFAULT_HEADER_FILTER.pick(
        {
            "x-user-id": "1",
            "user-agent": "ua",
            "x-api-key": "k",
            "x-tenant-id": "t",
            "x-service-key": "s",
            "authorization": "Bearer t",
            "accept": "*/*",
        }
    )
    assert picked == {"x-user-id": "1", "user-agent": "ua"}


def test_include_and_exclude_patterns() -> None:
    selected = HeaderFilter.from_patterns(["x-user-*", "my-prefix-*", "x-api-key"], ["x-user-pw"])
    assert selected.allows("x-user-id")
    assert selected.allows("my-prefix-a.b")
    assert not selected.allows("x-user-pw")  # exclude wins
    assert not selected.allows("x-org")  # an include list replaces the default
    assert not selected.allows("user-agent")
    assert not selected.allows("x-api-key")  # credentials never pass
    assert not HeaderFilter.from_patterns(["x-a.c"], None).allows("x-abc")  # `.` is literal


def _paths(routes: list[Any]) -> list[str]:
    return [route.path for route in routes]


def test_route_order_and_groups() -> None:
    async def endpoint(request: Any) -> Any:
        raise AssertionError

    def route(path: str) -> Route:
        return Route(path, endpoint)

    api = [
        route(p)
        for p in (
            "/ok",
            "/info",
            "/metrics",
            "/docs",
            "/assistants/search",
            "/threads",
            "/threads/{thread_id}/runs/wait",
            "/threads/{thread_id}/stream",
            "/runs/wait",
        )
    ]
    user = [route("/hello"), route("/threads")]

    class UserApp:
        routes = user

    config = http_config.HttpConfig()
    ordered = http_config.assemble(
        config,
        api=api,
        a2a=[route("/a2a/x")],
        mcp=[route("/mcp")],
        user_app=UserApp(),  # type: ignore[arg-type]
    )
    assert _paths(ordered)[:4] == ["/ok", "/metrics", "/docs", "/hello"]
    assert _paths(ordered).index("/info") > _paths(ordered).index("/hello")
    assert _paths(ordered)[-2:] == ["/a2a/x", "/mcp"]

    off = http_config.HttpConfig(disabled=frozenset({"runs", "meta", "a2a"}))
    kept = _paths(http_config.assemble(off, api=api, a2a=[route("/a2a/x")], mcp=[], user_app=None))
    assert kept == ["/ok", "/assistants/search", "/threads"]
