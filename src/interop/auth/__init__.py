"""Custom auth: the `auth` section of langgraph.json (a `langgraph_sdk.Auth` object), its
authentication step as ASGI middleware, and its `@auth.on` handlers as the core's policy."""

from interop.auth.config import AuthConfig, parse
from interop.auth.loader import CustomAuth, load
from interop.auth.middleware import Authenticate, BearerAuth, is_open
from interop.auth.openapi import document

__all__ = [
    "AuthConfig",
    "Authenticate",
    "BearerAuth",
    "CustomAuth",
    "document",
    "is_open",
    "load",
    "parse",
]
