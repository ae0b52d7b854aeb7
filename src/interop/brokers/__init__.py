"""Broker implementations of the core's protocol (`interop.core.events.EventBroker`)."""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

from interop.core.events import EventBroker

# Key prefix of the Redis broker (one Redis database can serve several deployments).
DEFAULT_PREFIX = "interop:"
_REDIS_SCHEMES = ("redis", "rediss", "unix")


class BrokerUnavailable(Exception):
    """The broker URL is malformed, or the broker cannot be reached."""


def describe(url: str | None) -> str:
    """How the startup log names the broker: 'in-process', or the Redis URL without password."""
    if not url:
        return "in-process"
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username or ''}:***@{parts.hostname or ''}"
    if parts.port is not None:
        netloc += f":{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))


async def open_broker(url: str | None, *, prefix: str | None = None) -> EventBroker:
    """The broker a URL names: None or '' for the in-process broker, `redis://host:port/db`
    (also `rediss://`, `unix://`) for Redis, whose keys start with `prefix` (default: env
    `INTEROP_REDIS_PREFIX`, else 'interop:').

    Raises BrokerUnavailable when the URL is not a Redis URL or Redis does not answer."""
    if not url:
        from interop.brokers.memory import InProcessBroker

        return InProcessBroker()
    if urlsplit(url).scheme not in _REDIS_SCHEMES:
        raise BrokerUnavailable(f"{describe(url)} is not a redis:// URL")
    import redis.asyncio as aioredis
    from redis.asyncio.retry import Retry
    from redis.backoff import ExponentialBackoff
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import RedisError
    from redis.exceptions import TimeoutError as RedisTimeout

    from interop.brokers.redis import RedisBroker

    try:
        # One connection per waiting stream reader (XREAD BLOCK): allow many. A pooled
        # connection that Redis closed (a restart) is retried on a new one, so the first
        # command after an outage does not fail.
        client = aioredis.Redis.from_url(
            url,
            max_connections=10_000,
            socket_connect_timeout=5,
            retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), 3),
            retry_on_error=[RedisConnectionError, RedisTimeout],
        )
    except ValueError as exc:
        raise BrokerUnavailable(f"{describe(url)}: {exc}") from None
    try:
        await client.ping()
    except (RedisError, OSError) as exc:
        await client.aclose()
        raise BrokerUnavailable(f"cannot reach Redis at {describe(url)}: {exc}") from None
    chosen = prefix if prefix is not None else os.environ.get("INTEROP_REDIS_PREFIX")
    return RedisBroker(client, prefix=chosen or DEFAULT_PREFIX)
