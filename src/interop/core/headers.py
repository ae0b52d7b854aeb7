"""Which request headers a run's `config.configurable` receives (`http.configurable_headers`).

The reference's rules: header names are matched lower-case against patterns where `*` matches
any run of characters (nothing else is special); `exclude` wins over `include`. With no
`include` list the default applies: every `x-*` header and `user-agent`. Credentials never pass:
`authorization`, `x-api-key`, `x-service-key`, `x-tenant-id`.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

_CACHE_SIZE = 1024
_NEVER = frozenset({"authorization", "x-api-key", "x-service-key", "x-tenant-id"})


def _compile(pattern: str) -> re.Pattern[str]:
    # Only `*` is a wildcard (as in the reference): no regex from configuration, no ReDoS.
    return re.compile(".*".join(re.escape(part) for part in pattern.lower().split("*")) + r"\Z")


@dataclass(frozen=True, slots=True)
class HeaderFilter:
    """Picks the headers to copy into a run's `config.configurable`."""

    include: tuple[re.Pattern[str], ...] | None = None
    exclude: tuple[re.Pattern[str], ...] = ()
    _decided: dict[str, bool] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_patterns(
        cls, include: Iterable[str] | None, exclude: Iterable[str] | None
    ) -> HeaderFilter:
        return cls(
            include=tuple(_compile(p) for p in include) if include is not None else None,
            exclude=tuple(_compile(p) for p in exclude or ()),
        )

    def allows(self, name: str) -> bool:
        """Whether the (lower-case) header `name` is copied (decisions are cached: header
        names repeat from request to request)."""
        decided = self._decided.get(name)
        if decided is None:
            decided = self._decide(name)
            if len(self._decided) < _CACHE_SIZE:
                self._decided[name] = decided
        return decided

    def _decide(self, name: str) -> bool:
        if name in _NEVER or any(p.match(name) for p in self.exclude):
            return False
        if self.include is None:
            return name.startswith("x-") or name == "user-agent"
        return any(p.match(name) for p in self.include)

    def pick(self, headers: Mapping[str, str]) -> dict[str, str]:
        """The headers of `headers` (lower-case names) this filter copies."""
        return {name: value for name, value in headers.items() if self.allows(name)}


DEFAULT_HEADER_FILTER = HeaderFilter()


# The headers of the request being served that its runs receive (picked by the filter at the
# HTTP edge, for every door); None outside a request (a cron's run, recovery).
SCOPE_KEY = "interop.run_headers"
_current: ContextVar[dict[str, str] | None] = ContextVar("interop_run_headers", default=None)


@contextlib.contextmanager
def serving(picked: dict[str, str] | None) -> Iterator[None]:
    """Serve the enclosed code (and the tasks it starts) with these request headers."""
    token = _current.set(picked)
    try:
        yield
    finally:
        _current.reset(token)


def with_request_headers(config: dict[str, Any]) -> dict[str, Any]:
    """`config` with the current request's headers in its `configurable` (a header wins over
    the same key of the body, as in the reference)."""
    picked = _current.get()
    if not picked:
        return config
    merged = dict(config)
    merged["configurable"] = {**(config.get("configurable") or {}), **picked}
    return merged
