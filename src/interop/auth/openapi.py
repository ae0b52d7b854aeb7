"""`auth.openapi`: the security the OpenAPI document declares."""

from __future__ import annotations

from typing import Any

from interop.auth.config import AuthConfig


def document(spec: dict[str, Any], config: AuthConfig | None) -> dict[str, Any]:
    """`spec` with the config's `securitySchemes` among its components and its `security`
    requirement (as the reference server does with `auth.openapi`)."""
    if config is None or not config.openapi:
        return spec
    spec = dict(spec)
    schemes = config.openapi.get("securitySchemes")
    if isinstance(schemes, dict):
        components = dict(spec.get("components") or {})
        components["securitySchemes"] = {**components.get("securitySchemes", {}), **schemes}
        spec["components"] = components
    security = config.openapi.get("security")
    if isinstance(security, list):
        spec["security"] = security
    return spec
