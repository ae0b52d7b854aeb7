"""interop.brokers: choosing a broker from a URL, and how the startup log names it."""

from __future__ import annotations

import pytest

from interop.brokers import BrokerUnavailable, describe, open_broker
from interop.brokers.memory import InProcessBroker


@pytest.mark.parametrize("url", [None, ""])
async def test_no_url_is_the_in_process_broker(url: str | None) -> None:
    broker = await open_broker(url)
    assert isinstance(broker, InProcessBroker)
    await broker.aclose()
    assert describe(url) == "in-process"


@pytest.mark.parametrize("url", ["http://127.0.0.1:6379/0", "postgres://x/y", "127.0.0.1:6379"])
async def test_a_url_that_is_not_redis_is_refused(url: str) -> None:
    with pytest.raises(BrokerUnavailable):
        await open_broker(url)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://127.0.0.1:6379/5", "redis://127.0.0.1:6379/5"),
        ("redis://:secret@127.0.0.1:6379/5", "redis://:***@127.0.0.1:6379/5"),
        ("rediss://user:secret@cache.example/0", "rediss://user:***@cache.example/0"),
    ],
)
def test_describe_hides_the_password(url: str, shown: str) -> None:
    assert describe(url) == shown
