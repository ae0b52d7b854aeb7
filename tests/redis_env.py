"""The Redis the tests use: `INTEROP_TEST_REDIS_URL` (CI sets it), else the local default.

Unset and the default does not answer: the Redis tests are skipped, with the reason. Set and it
does not answer: they fail (a CI whose Redis is down must not pass by skipping).
"""

from __future__ import annotations

import os
import uuid

import pytest
import redis
from redis.exceptions import RedisError

DEFAULT_URL = "redis://127.0.0.1:6379/0"


def redis_url() -> str:
    configured = os.environ.get("INTEROP_TEST_REDIS_URL")
    url = configured or DEFAULT_URL
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=2)
        try:
            client.ping()
        finally:
            client.close()
    except (RedisError, OSError, ValueError) as exc:
        if configured:
            pytest.fail(f"INTEROP_TEST_REDIS_URL={url} does not answer: {exc}")
        pytest.skip(f"no Redis at {url} (set INTEROP_TEST_REDIS_URL): {exc}")
    return url


def key_prefix() -> str:
    """A key prefix of one test's own."""
    return f"interop-test:{uuid.uuid4().hex}:"


def delete_keys(url: str, prefix: str) -> None:
    """Delete what a test left under its prefix."""
    client = redis.Redis.from_url(url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()
