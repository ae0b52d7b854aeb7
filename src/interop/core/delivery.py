"""Outbound HTTP notifications (A2A push notifications, run webhooks): one sender.

Delivery never blocks or slows a run: each notification is one background task that POSTs the
payload with httpx, retrying failures (connection errors, 5xx, 408, 429) with exponential
backoff inside a fixed time budget, at most `max_concurrent` at a time; redirects are not
followed. URLs resolving to loopback, private, link-local or reserved addresses are refused (by
`check_url` when a URL is accepted, and again at delivery against DNS rebinding) unless the
settings allow them.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

log = logging.getLogger("interop.delivery")


@dataclass(slots=True)
class DeliverySettings:
    allow_private: bool = False
    attempts: int = 4
    first_backoff: float = 0.25
    timeout: float = 10.0
    budget: float = 30.0
    max_concurrent: int = 64


class UrlRefused(ValueError):
    """A notification URL the policy refuses; the message says why."""


def is_public(address: str) -> bool:
    """Whether an IP address literal is a global unicast address. ValueError for a name."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return ip.is_global and not ip.is_multicast


def check_url(url: str, *, allow_private: bool) -> None:
    """UrlRefused for a URL that is not absolute http(s), or that names a refused address
    literally (a host name is checked against its addresses at delivery)."""
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # a malformed IPv6 address
        raise UrlRefused("must be an absolute http(s) URL") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UrlRefused("must be an absolute http(s) URL")
    if allow_private:
        return
    host = parts.hostname
    if host == "localhost" or host.endswith(".localhost"):
        raise UrlRefused("loopback addresses are not allowed")
    try:
        public = is_public(host)
    except ValueError:
        return
    if not public:
        raise UrlRefused("private or reserved addresses are not allowed")


async def resolves_public(url: str) -> bool:
    """Whether every address the URL's host resolves to is public."""
    host = urlsplit(url).hostname or ""
    try:
        return is_public(host)
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return bool(infos) and all(is_public(str(info[4][0])) for info in infos)


class Sender:
    """POSTs notifications in the background, with retries inside a time budget."""

    def __init__(self, settings: DeliverySettings | None = None) -> None:
        self.settings = settings or DeliverySettings()
        self._client: httpx.AsyncClient | None = None
        self._slots = asyncio.Semaphore(self.settings.max_concurrent)
        self._tasks: set[asyncio.Task[bool]] = set()

    def send(self, url: str, body: bytes, headers: dict[str, str], what: str) -> None:
        """Deliver in the background (`what` names the notification in logs)."""
        task = asyncio.get_running_loop().create_task(self.deliver(url, body, headers, what))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def deliver(self, url: str, body: bytes, headers: dict[str, str], what: str) -> bool:
        """POST until a 2xx, a final 4xx, or the budget runs out. True when delivered."""
        settings = self.settings
        deadline = time.monotonic() + settings.budget
        backoff = settings.first_backoff
        async with self._slots:
            for attempt in range(1, settings.attempts + 1):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                try:
                    if not settings.allow_private and not await resolves_public(url):
                        log.warning("%s to %s refused: not a public address", what, url)
                        return False
                    response = await self._http().post(
                        url, content=body, headers=headers, timeout=min(settings.timeout, remaining)
                    )
                    if response.status_code < 300:
                        return True
                    if 400 <= response.status_code < 500 and response.status_code not in (408, 429):
                        log.info("%s to %s rejected: HTTP %d", what, url, response.status_code)
                        return False
                    log.info(
                        "%s to %s: HTTP %d (attempt %d)", what, url, response.status_code, attempt
                    )
                except (httpx.HTTPError, OSError) as exc:
                    log.info("%s to %s failed (attempt %d): %s", what, url, attempt, exc)
                delay = min(backoff, deadline - time.monotonic())
                if delay <= 0 or attempt == settings.attempts:
                    break
                await asyncio.sleep(delay)
                backoff *= 2
        log.warning("%s to %s abandoned", what, url)
        return False

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(follow_redirects=False)
        return self._client

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=5.0)
        if self._client is not None:
            await self._client.aclose()
            self._client = None
