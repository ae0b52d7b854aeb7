"""Run webhooks: a run created with a `webhook` URL has the run POSTed there when it ends.

The payload is the reference's: the run record (as the REST API shows it) with the run's final
`values`, its `error` (when it failed) and `webhook_sent_at`. The process that finishes the run
sends it (from the run's end listener), so it is sent once per run end however many processes
serve; delivery is the core's sender (`interop.core.delivery`).

The `webhooks` key of the config file, as the reference spells it:

```json
"webhooks": {
  "env_prefix": "LG_WEBHOOK_",
  "url": {"require_https": true, "allowed_domains": ["hooks.example.com", "*.corp.example"],
          "allowed_ports": [443], "max_url_length": 2048},
  "headers": {"Authorization": "Bearer ${{ env.LG_WEBHOOK_TOKEN }}"},
  "allow_private_urls": false
}
```

`headers` values may name environment variables as `${{ env.NAME }}`; NAME must start with
`env_prefix` (so a config file cannot leak any other variable). `allow_private_urls` is
interop's own key: webhooks to loopback and private addresses are refused unless it is true.
Relative webhook URLs (the reference's calls back into the server itself) are refused.

A webhook URL is an absolute http(s) URL of `url_pattern` (a host name or an IPv4/IPv6 address,
an optional port, no spaces or control characters), at most `max_url_length` characters; the
policy then refuses loopback and private addresses, ports and domains not allowed.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson

from interop.core import serde
from interop.core.delivery import DeliverySettings, Sender, UrlRefused, check_url
from interop.core.errors import InvalidInput
from interop.core.graphs import ConfigError
from interop.core.models import Run, RunOutcome

_KEYS = frozenset({"env_prefix", "url", "headers", "allow_private_urls"})
_URL_KEYS = frozenset(
    {"require_https", "allowed_domains", "allowed_ports", "max_url_length", "disable_loopback"}
)
_HOST = r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)"
_REST = r"(:[0-9]{0,5})?([/?#][^\x00-\x20\x7f]*)?"


def url_pattern(require_https: bool = False) -> str:
    """The grammar of a webhook URL (a JSON Schema pattern, also what `check` enforces)."""
    scheme = "[Hh][Tt][Tt][Pp][Ss]" if require_https else "[Hh][Tt][Tt][Pp][Ss]?"
    return f"^{scheme}://([^\\x00-\\x20\\x7f/?#@\\[\\]]*@)?{_HOST}{_REST}$"


_TEMPLATE = re.compile(r"\$\{\{\s*env\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
DEFAULT_ENV_PREFIX = "LG_WEBHOOK_"


@dataclass(frozen=True, slots=True)
class WebhookPolicy:
    """The parsed `webhooks` section."""

    require_https: bool = False
    allowed_domains: tuple[str, ...] = ()
    allowed_ports: tuple[int, ...] = ()
    max_url_length: int = 4096
    allow_private: bool = False
    headers: dict[str, str] = field(default_factory=dict)

    def check(self, url: str) -> None:
        """InvalidInput (422) for a webhook URL the policy refuses."""
        try:
            self._check(url)
        except UrlRefused as exc:
            raise InvalidInput(f"webhook: {exc}") from exc

    def schema(self) -> dict[str, Any]:
        """The JSON Schema of the URLs `check` may accept (the addresses it refuses aside)."""
        return {
            "type": "string",
            "minLength": 1,
            "maxLength": self.max_url_length,
            "pattern": url_pattern(self.require_https),
        }

    def _check(self, url: str) -> None:
        if len(url) > self.max_url_length:
            raise UrlRefused(f"longer than {self.max_url_length} characters")
        if not re.fullmatch(url_pattern(self.require_https), url):
            raise UrlRefused("must be an absolute http(s) URL of a host name or address")
        check_url(url, allow_private=self.allow_private)
        parts = urlsplit(url)
        if self.require_https and parts.scheme != "https":
            raise UrlRefused("must be an https URL")
        host = (parts.hostname or "").lower()
        if self.allowed_domains and not any(_matches(host, d) for d in self.allowed_domains):
            raise UrlRefused("host is not in the allowed domains")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError as exc:
            raise UrlRefused("invalid port") from exc
        if self.allowed_ports and port not in self.allowed_ports:
            raise UrlRefused("port is not in the allowed ports")


def _matches(host: str, pattern: str) -> bool:
    pattern = pattern.lower()
    if pattern.startswith("*."):
        return host.endswith(pattern[1:])  # subdomains only, not the apex
    return host == pattern


def parse(raw: Any, path: Path | None) -> WebhookPolicy:
    """Validate the `webhooks` section (headers' templates resolved). Raises ConfigError."""
    where = f"{path}: webhooks" if path is not None else "webhooks"
    if raw is None:
        return WebhookPolicy()
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: must be an object")
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(map(repr, unknown))}")
    prefix = raw.get("env_prefix", DEFAULT_ENV_PREFIX)
    if not isinstance(prefix, str):
        raise ConfigError(f"{where}.env_prefix: must be a string")
    allow_private = raw.get("allow_private_urls", False)
    if not isinstance(allow_private, bool):
        raise ConfigError(f"{where}.allow_private_urls: must be true or false")
    url = raw.get("url") or {}
    if not isinstance(url, dict):
        raise ConfigError(f"{where}.url: must be an object")
    unknown = sorted(set(url) - _URL_KEYS)
    if unknown:
        raise ConfigError(f"{where}.url: unknown key(s) {', '.join(map(repr, unknown))}")
    for key in ("require_https", "disable_loopback"):
        if not isinstance(url.get(key, False), bool):
            raise ConfigError(f"{where}.url.{key}: must be true or false")
    domains = url.get("allowed_domains", [])
    if not (isinstance(domains, list) and all(isinstance(d, str) and d for d in domains)):
        raise ConfigError(f"{where}.url.allowed_domains: must be a list of host names")
    ports = url.get("allowed_ports", [])
    if not (isinstance(ports, list) and all(_port(p) for p in ports)):
        raise ConfigError(f"{where}.url.allowed_ports: must be a list of port numbers")
    length = url.get("max_url_length", 4096)
    if not isinstance(length, int) or isinstance(length, bool) or length <= 0:
        raise ConfigError(f"{where}.url.max_url_length: must be a positive integer")
    return WebhookPolicy(
        require_https=bool(url.get("require_https", False)),
        allowed_domains=tuple(domains),
        allowed_ports=tuple(ports),
        max_url_length=length,
        allow_private=allow_private,
        headers=_headers(raw.get("headers"), prefix, f"{where}.headers"),
    )


def _port(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 65536


def _headers(raw: Any, prefix: str, where: str) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in raw.items()
    ):
        raise ConfigError(f"{where}: must map header names to strings")

    def resolve(match: re.Match[str]) -> str:
        name = match.group(1)
        if not name.startswith(prefix):
            raise ConfigError(f"{where}: ${{{{ env.{name} }}}} must start with {prefix!r}")
        value = os.environ.get(name)
        if value is None:
            raise ConfigError(f"{where}: environment variable {name} is not set")
        return value

    return {name: _TEMPLATE.sub(resolve, value) for name, value in raw.items()}


def load(path: Path | None) -> WebhookPolicy:
    if path is None:
        return WebhookPolicy()
    raw = orjson.loads(path.read_bytes())
    return parse(raw.get("webhooks") if isinstance(raw, dict) else None, path)


class Webhooks:
    """Sends each ended run with a `webhook` to it. `describe` renders a run as the API does."""

    def __init__(
        self,
        policy: WebhookPolicy,
        describe: Callable[[Run], dict[str, Any]],
        settings: DeliverySettings | None = None,
    ) -> None:
        self.policy = policy
        self._describe = describe
        self.sender = Sender(settings or DeliverySettings(allow_private=policy.allow_private))

    def check(self, url: str) -> None:
        self.policy.check(url)

    async def on_run(self, run: Run, outcome: RunOutcome | None) -> None:
        """The run listener: a run's end (outcome set) with a webhook is sent."""
        url = run.kwargs.get("webhook")
        if outcome is None or not url:
            return
        payload = {
            **self._describe(run),
            "status": outcome.status,
            "values": outcome.values,
            "webhook_sent_at": datetime.now(UTC).isoformat(),
        }
        if outcome.error is not None:
            payload["error"] = outcome.error.get("message") or outcome.error.get("error")
        headers = {"Content-Type": "application/json", **self.policy.headers}
        self.sender.send(url, serde.dumps(payload), headers, f"webhook of run {run.run_id}")

    async def close(self) -> None:
        await self.sender.close()
