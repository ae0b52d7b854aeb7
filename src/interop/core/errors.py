"""The core's error hierarchy. No wire codes here: each adapter maps these classes.

InteropError
├── NotFound          an id (assistant, thread, run, checkpoint) that does not exist
├── Conflict          the request clashes with current state (exists already, thread busy)
├── InvalidInput      a request that is well-formed JSON but semantically wrong
├── Unauthorized      missing or wrong credentials
├── Forbidden         the caller may not do this (an authorization handler refused)
└── Unavailable       the server cannot take the request now (shutting down)
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
