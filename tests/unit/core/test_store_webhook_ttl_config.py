"""The config file's `store`, `webhooks` and `checkpointer` sections: what they accept, the
precise ConfigError for what they do not, and the webhook URL policy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from interop.core import store, thread_ttl, webhooks
from interop.core.errors import InvalidInput
from interop.core.graphs import ConfigError

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "store_project"


def test_store_index_loads_an_embedding_function_by_path() -> None:
    parsed = store.parse(
        {"index": {"embed": f"{FIXTURES}/embed.py:embed", "dims": 64, "fields": ["text"]}}, None
    )
    assert parsed.index is not None
    assert parsed.index["dims"] == 64 and parsed.index["fields"] == ["text"]
    assert len(parsed.index["embed"](["a b"])[0]) == 64  # type: ignore[operator, index]
    assert parsed.ttl is None and parsed.sweep_minutes is None


def test_store_ttl_defaults_the_sweep() -> None:
    parsed = store.parse({"ttl": {"default_ttl": 10, "refresh_on_read": False}}, None)
    assert parsed.ttl == {"default_ttl": 10.0, "refresh_on_read": False}
    assert parsed.sweep_minutes == store.DEFAULT_SWEEP_MINUTES


@pytest.mark.parametrize(
    "raw",
    [
        [],
        {"indexes": {}},
        {"index": {"embed": "x:y"}},
        {"index": {"embed": "nope", "dims": 3}},
        {"index": {"embed": f"{FIXTURES}/embed.py:missing", "dims": 3}},
        {"index": {"embed": f"{FIXTURES}/embed.py:DIMS", "dims": 3}},
        {"index": {"embed": f"{FIXTURES}/embed.py:embed", "dims": 3, "fields": "text"}},
        {"ttl": {"default_ttl": -1}},
        {"ttl": {"refresh_on_read": "yes"}},
        {"ttl": {"sweep_interval_minutes": 0}},
        {"ttl": {"ttl": 1}},
    ],
)
def test_bad_store_sections(raw: Any) -> None:
    with pytest.raises(ConfigError):
        store.parse(raw, None)


def test_webhook_headers_read_only_prefixed_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOK_TOKEN", "abc")
    monkeypatch.setenv("SECRET", "no")
    policy = webhooks.parse(
        {"env_prefix": "HOOK_", "headers": {"Authorization": "Bearer ${{ env.HOOK_TOKEN }}"}}, None
    )
    assert policy.headers == {"Authorization": "Bearer abc"}
    with pytest.raises(ConfigError):
        webhooks.parse({"env_prefix": "HOOK_", "headers": {"X": "${{ env.SECRET }}"}}, None)
    with pytest.raises(ConfigError):
        webhooks.parse({"headers": {"X": "${{ env.LG_WEBHOOK_UNSET_VAR }}"}}, None)


@pytest.mark.parametrize(
    "raw",
    [
        {"urls": {}},
        {"url": {"require_https": "yes"}},
        {"url": {"allowed_domains": "a.com"}},
        {"url": {"allowed_ports": [0]}},
        {"url": {"max_url_length": 0}},
        {"allow_private_urls": 1},
        {"headers": {"X": 1}},
    ],
)
def test_bad_webhook_sections(raw: Any) -> None:
    with pytest.raises(ConfigError):
        webhooks.parse(raw, None)


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://hooks.example.com/x", True),
        ("https://a.b.example.com/x", True),
        ("https://example.com/x", False),
        ("http://hooks.example.com/x", False),
        ("https://hooks.example.com:444/x", False),
        ("https://hooks.example.com/" + "x" * 100, False),
        ("https://192.168.1.1/x", False),
        ("https://[::1]/x", False),
        ("file:///etc/passwd", False),
    ],
)
def test_the_webhook_url_policy(url: str, ok: bool) -> None:
    policy = webhooks.parse(
        {
            "url": {
                "require_https": True,
                "allowed_domains": ["hooks.example.com", "*.b.example.com"],
                "allowed_ports": [443],
                "max_url_length": 60,
            }
        },
        None,
    )
    if ok:
        policy.check(url)
    else:
        with pytest.raises(InvalidInput):
            policy.check(url)


def test_private_webhooks_only_when_allowed() -> None:
    with pytest.raises(InvalidInput):
        webhooks.parse(None, None).check("http://127.0.0.1:9/x")
    webhooks.parse({"allow_private_urls": True}, None).check("http://127.0.0.1:9/x")


def test_checkpointer_ttl() -> None:
    parsed = thread_ttl.parse(
        {"ttl": {"strategy": "keep_latest", "default_ttl": 60, "sweep_interval_minutes": 2}}, None
    )
    assert parsed == thread_ttl.ThreadTtlConfig("keep_latest", 60.0, 2.0, 1000)
    assert thread_ttl.parse({"serde": {}}, None) == thread_ttl.ThreadTtlConfig()


@pytest.mark.parametrize(
    "raw",
    [
        {"ttl": {"strategy": "archive"}},
        {"ttl": {"default_ttl": 0}},
        {"ttl": {"sweep_limit": 1.5}},
        {"ttl": {"other": 1}},
        {"ttl": []},
    ],
)
def test_bad_checkpointer_sections(raw: Any) -> None:
    with pytest.raises(ConfigError):
        thread_ttl.parse(raw, None)
