"""The core's error hierarchy. No wire codes here: each adapter maps these classes.

InteropError
├── NotFound          an id (assistant, thread, run, checkpoint) that does not exist
├── Conflict          the request clashes with current state (exists already, thread busy)
├── InvalidInput      a request that is well-formed JSON but semantically wrong
├── Unauthorized      missing or wrong credentials
├── Forbidden         the caller may not do this (an authorization handler refused)
└── Unavailable       the server cannot take the request now (shutting down, or its database
                      or broker is unreachable: see `unavailable`)
"""

from __future__ import annotations


class InteropError(Exception):
    """Base of every error the core raises on purpose; `message` is safe to show to clients."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(InteropError):
    """The addressed resource does not exist."""


class Conflict(InteropError):
    """The request conflicts with the resource's current state."""


class InvalidInput(InteropError):
    """The request is semantically invalid (unknown graph, bad checkpoint, bad stream mode)."""


class Unauthorized(InteropError):
    """Credentials are missing or wrong."""


class Forbidden(InteropError):
    """The authenticated caller may not perform this action."""


class Unavailable(InteropError):
    """The server cannot take the request right now."""


# Seconds a client is told to wait (`Retry-After`) before trying an Unavailable request again.
RETRY_AFTER = 5

# Driver exceptions meaning "the database or the broker cannot be reached right now": each
# backend registers its own (the core imports no driver), each door's boundary asks
# `unavailable` before it answers an unexpected exception as an internal error.
_OUTAGES: list[type[BaseException]] = []


def register_outage(*kinds: type[BaseException]) -> None:
    """Declare driver exception classes that mean a backend is unreachable for now."""
    _OUTAGES.extend(kind for kind in kinds if kind not in _OUTAGES)


def unavailable(exc: BaseException) -> Unavailable | None:
    """`exc` as an Unavailable error when it is one, or a registered outage (the database or
    the broker unreachable), else None."""
    if isinstance(exc, Unavailable):
        return exc
    if isinstance(exc, tuple(_OUTAGES)):
        return Unavailable("A backend of this server is unreachable; try again shortly.")
    return None
