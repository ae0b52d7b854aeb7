"""Identifiers and clocks used across the core."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from langchain_core.utils.uuid import uuid7

# Namespace for ids derived from names (system assistants): stable across restarts and servers.
_SYSTEM_NAMESPACE = uuid.UUID("6ba7b821-9dad-11d1-80b4-00c04fd430c8")


def new_id() -> str:
    """A fresh time-ordered UUID (v7), as a string: ids sort by creation, indexes stay local."""
    return str(uuid7())


def system_assistant_id(graph_id: str) -> str:
    """The stable assistant id of the system assistant created for `graph_id`."""
    return str(uuid.uuid5(_SYSTEM_NAMESPACE, graph_id))


def is_uuid(value: str) -> bool:
    """True when `value` parses as a UUID."""
    try:
        uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        return False
    return True


def now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)
