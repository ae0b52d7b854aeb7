"""Agent cards: the 1.0 shape (validates against the 1.0 schema, nothing more), the 0.3 shape,
and the two merged (`compat`): the 1.0 card plus the 0.3 fields it lacks (`url`,
`preferredTransport`, `protocolVersion`, `additionalInterfaces`, ...), which is what the a2a-sdk
server serves, so a client of either version that does not say its version can read it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from interop import __version__
from interop.a2a.config import A2AConfig
from interop.a2a.translate import DEFAULT_INPUT_MODES, DEFAULT_OUTPUT_MODES
from interop.core.models import Assistant


@dataclass(slots=True)
class Security:
    """What a card says a client must present: OpenAPI security schemes by name (as in the
    0.3 card and an OpenAPI document) and the requirement (a list of {scheme name: scopes},
    any one of which suffices)."""

    schemes: dict[str, Any]
    requirement: list[dict[str, list[str]]]


BEARER = Security({"bearer": {"type": "http", "scheme": "bearer"}}, [{"bearer": []}])


def security_of(token: bool, openapi: dict[str, Any] | None) -> Security | None:
    """The card's security: the simple bearer token, else custom auth's `auth.openapi`
    (its `securitySchemes` and `security`, which the OpenAPI document declares too)."""
    if token:
        return BEARER
    schemes = (openapi or {}).get("securitySchemes")
    if not isinstance(schemes, dict) or not schemes:
        return None
    requirement = (openapi or {}).get("security")
    if not isinstance(requirement, list):
        requirement = [{name: []} for name in schemes]
    return Security(schemes, [r for r in requirement if isinstance(r, dict)])


# HTTP authentication scheme names as registered (a card written by hand spells them so).
_IANA_SCHEMES = {"bearer": "Bearer", "basic": "Basic", "digest": "Digest"}


# OpenAPI security scheme -> the 1.0 card's SecurityScheme (proto JSON: one member per kind).
def _scheme_v1(scheme: dict[str, Any]) -> dict[str, Any]:
    kind = scheme.get("type")
    described = {"description": scheme["description"]} if scheme.get("description") else {}
    if kind == "http":
        name = str(scheme.get("scheme", ""))
        http = {"scheme": _IANA_SCHEMES.get(name.lower(), name), **described}
        if scheme.get("bearerFormat"):
            http["bearerFormat"] = scheme["bearerFormat"]
        return {"httpAuthSecurityScheme": http}
    if kind == "apiKey":
        key = {"location": scheme.get("in", ""), "name": scheme.get("name", ""), **described}
        return {"apiKeySecurityScheme": key}
    if kind == "openIdConnect":
        url = scheme.get("openIdConnectUrl", "")
        return {"openIdConnectSecurityScheme": {"openIdConnectUrl": url, **described}}
    if kind == "oauth2":
        return {"oauth2SecurityScheme": {"flows": scheme.get("flows", {}), **described}}
    if kind == "mutualTLS":
        return {"mtlsSecurityScheme": described}
    return {}


@dataclass(slots=True)
class CardInput:
    """Everything a card is built from."""

    assistant: Assistant
    graph_description: str | None
    input_fields: list[str]
    url: str
    config: A2AConfig
    auth: bool  # the simple bearer token: the extended card is served to its holders
    security: Security | None = None  # what a client must present (None: nothing)


def _description(info: CardInput) -> str:
    return (
        info.assistant.description
        or info.graph_description
        or f"The '{info.assistant.graph_id}' agent, served by interop."
    )


def input_modes(config: A2AConfig, graph_id: str) -> list[str]:
    modes = config.graph(graph_id).get("input_modes")
    return [str(m) for m in modes] if isinstance(modes, list) and modes else DEFAULT_INPUT_MODES


def output_modes(config: A2AConfig, graph_id: str) -> list[str]:
    modes = config.graph(graph_id).get("output_modes")
    return [str(m) for m in modes] if isinstance(modes, list) and modes else DEFAULT_OUTPUT_MODES


def skills(info: CardInput, *, extended: bool) -> list[dict[str, Any]]:
    """The configured skills of the graph, else one skill describing the graph and its input."""
    graph_id = info.assistant.graph_id
    configured = info.config.graph(graph_id).get("skills")
    if isinstance(configured, list) and configured:
        found = []
        for index, skill in enumerate(configured):
            if not isinstance(skill, dict):
                continue
            entry: dict[str, Any] = {
                "id": str(skill.get("id") or f"{graph_id}-{index}"),
                "name": str(skill.get("name") or graph_id),
                "description": str(skill.get("description") or _description(info)),
                "tags": [str(t) for t in skill.get("tags") or [graph_id]],
            }
            for key, wire in (("examples", "examples"), ("input_modes", "inputModes")):
                if isinstance(skill.get(key), list):
                    entry[wire] = [str(v) for v in skill[key]]
            if isinstance(skill.get("output_modes"), list):
                entry["outputModes"] = [str(v) for v in skill["output_modes"]]
            found.append(entry)
        if found:
            return found
    description = _description(info)
    fields = [f for f in info.input_fields if f != "messages"]
    if "messages" in info.input_fields:
        description += " Send it a text message."
    if fields:
        description += f" Input fields (as a data part): {', '.join(fields)}."
    if extended:
        description += (
            f" Assistant {info.assistant.assistant_id}, version {info.assistant.version}."
        )
    return [
        {
            "id": graph_id,
            "name": info.assistant.name or graph_id,
            "description": description,
            "tags": [graph_id, "interop"],
        }
    ]


def card_v1(info: CardInput, *, extended: bool = False) -> dict[str, Any]:
    graph_id = info.assistant.graph_id
    card: dict[str, Any] = {
        "name": info.assistant.name or graph_id,
        "description": _description(info),
        "supportedInterfaces": [
            {"url": info.url, "protocolBinding": "JSONRPC", "protocolVersion": "1.0"},
            {"url": info.url, "protocolBinding": "HTTP+JSON", "protocolVersion": "1.0"},
            {"url": info.url, "protocolBinding": "JSONRPC", "protocolVersion": "0.3"},
        ],
        "version": __version__,
        "capabilities": {
            "streaming": True,
            "pushNotifications": True,
            "extendedAgentCard": info.auth,
        },
        "defaultInputModes": input_modes(info.config, graph_id),
        "defaultOutputModes": output_modes(info.config, graph_id),
        "skills": skills(info, extended=extended),
    }
    provider = info.config.provider
    if provider and provider.get("organization") and provider.get("url"):
        card["provider"] = {"organization": provider["organization"], "url": provider["url"]}
    if info.security is not None:
        schemes = {name: _scheme_v1(s) for name, s in info.security.schemes.items()}
        card["securitySchemes"] = {name: s for name, s in schemes.items() if s}
        card["securityRequirements"] = [
            {"schemes": {name: {"list": list(scopes)} for name, scopes in r.items()}}
            for r in info.security.requirement
        ]
    return card


def card_v03(info: CardInput, *, extended: bool = False) -> dict[str, Any]:
    graph_id = info.assistant.graph_id
    card: dict[str, Any] = {
        "protocolVersion": "0.3.0",
        "name": info.assistant.name or graph_id,
        "description": _description(info),
        "url": info.url,
        "preferredTransport": "JSONRPC",
        "additionalInterfaces": [{"url": info.url, "transport": "JSONRPC"}],
        "version": __version__,
        "capabilities": {
            "streaming": True,
            "pushNotifications": True,
            "stateTransitionHistory": False,
        },
        "defaultInputModes": input_modes(info.config, graph_id),
        "defaultOutputModes": output_modes(info.config, graph_id),
        "skills": skills(info, extended=extended),
        "supportsAuthenticatedExtendedCard": info.auth,
    }
    provider = info.config.provider
    if provider and provider.get("organization") and provider.get("url"):
        card["provider"] = {"organization": provider["organization"], "url": provider["url"]}
    if info.security is not None:
        card["securitySchemes"] = info.security.schemes
        card["security"] = info.security.requirement
    return card


COMPAT = "compat"


def merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """`base` with the keys of `extra` it lacks, objects (and objects at the same list index)
    merged the same way; `base`'s values win. `base` is changed in place and returned."""
    for key, value in extra.items():
        mine = base.get(key)
        if key not in base:
            base[key] = value
        elif isinstance(value, dict) and isinstance(mine, dict):
            merge(mine, value)
        elif isinstance(value, list) and isinstance(mine, list):
            for left, right in zip(mine, value, strict=False):
                if isinstance(left, dict) and isinstance(right, dict):
                    merge(left, right)
    return base


def build(info: CardInput, version: str, *, extended: bool = False) -> dict[str, Any]:
    """The card for `version`: "1.0", "0.3" or `COMPAT` (both merged, 1.0 values winning)."""
    if version == "1.0":
        return card_v1(info, extended=extended)
    if version == "0.3":
        return card_v03(info, extended=extended)
    legacy = card_v03(info, extended=extended)
    if not legacy["supportsAuthenticatedExtendedCard"]:
        del legacy["supportsAuthenticatedExtendedCard"]
    return merge(card_v1(info, extended=extended), legacy)
