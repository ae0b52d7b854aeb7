"""Extra resources and prompts registered in the config file's `mcp` section.

```json
"mcp": {
  "resources": [{"uri": "test://static-text", "name": "static-text", "mimeType": "text/plain",
                 "description": "...", "read": "./extras.py:static_text"}],
  "resource_templates": [{"uriTemplate": "test://template/{id}/data", "name": "...",
                          "mimeType": "application/json", "read": "./extras.py:template"}],
  "tools": {"my_graph": {"description": "...", "inputSchema": {...},
                         "taskSupport": "optional", "taskAfterMs": 1000}},
  "prompts": [{"name": "greeting", "description": "...",
               "arguments": [{"name": "who", "required": true}], "get": "./extras.py:greeting"}]
}
```

`read` callables take `(uri, **template_variables)` and return a string (text), bytes (a blob)
or a list of MCP resource-contents objects. `get` callables take `(arguments, request)` and
return a list of MCP prompt messages, or a whole MCP result object (a `GetPromptResult` or an
`input_required` result). `request` carries `input_responses`, `request_state` and
`client_capabilities`. Callables may be sync or async. Paths are relative to the config file.
A tool's `taskSupport` and `taskAfterMs` are its policy for the 2026-07-28 tasks extension (see
`task_extension`), not definition fields.
"""

from __future__ import annotations

import base64
import importlib
import importlib.util
import inspect
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from interop.core.graphs import ConfigError


@dataclass(slots=True)
class PromptRequest:
    """What a prompt callable may look at besides its arguments."""

    input_responses: dict[str, Any] | None
    request_state: str | None
    client_capabilities: dict[str, Any] | None


@dataclass(slots=True)
class Extras:
    resources: list[dict[str, Any]] = field(default_factory=list)
    templates: list[tuple[re.Pattern[str], dict[str, Any]]] = field(default_factory=list)
    prompts: dict[str, dict[str, Any]] = field(default_factory=dict)
    readers: dict[str, Callable[..., Any]] = field(default_factory=dict)
    template_readers: list[Callable[..., Any]] = field(default_factory=list)
    getters: dict[str, Callable[..., Any]] = field(default_factory=dict)
    # Per graph id: tool definition fields that replace the derived ones (description, title,
    # inputSchema, outputSchema), and the tool's task policy (taskSupport, taskAfterMs).
    tools: dict[str, dict[str, Any]] = field(default_factory=dict)

    def find_resource(self, uri: str) -> tuple[Callable[..., Any], dict[str, str]] | None:
        reader = self.readers.get(uri)
        if reader is not None:
            return reader, {}
        for (pattern, _), template_reader in zip(
            self.templates, self.template_readers, strict=True
        ):
            match = pattern.fullmatch(uri)
            if match:
                return template_reader, match.groupdict()
        return None


def template_pattern(template: str) -> re.Pattern[str]:
    """A regex for a simple RFC 6570 template (`{var}` expands to one path segment)."""
    parts = re.split(r"\{([A-Za-z0-9_]+)\}", template)
    regex = "".join(
        f"(?P<{part}>[^/]+)" if index % 2 else re.escape(part) for index, part in enumerate(parts)
    )
    return re.compile(regex)


def _load(spec: str, base: Path) -> Callable[..., Any]:
    location, _, attr = spec.rpartition(":")
    if not location or not attr:
        raise ConfigError(f"mcp: expected 'path/to/file.py:attr', got {spec!r}")
    try:
        if location.endswith(".py") or "/" in location:
            file = (base / location).resolve()
            name = f"interop_mcp_extras_{abs(hash(str(file)))}"
            module = sys.modules.get(name)
            if module is None:
                module_spec = importlib.util.spec_from_file_location(name, file)
                if module_spec is None or module_spec.loader is None:
                    raise ConfigError(f"mcp: cannot import {file}")
                module = importlib.util.module_from_spec(module_spec)
                sys.modules[name] = module
                module_spec.loader.exec_module(module)
        else:
            module = importlib.import_module(location)
        target = getattr(module, attr)
    except ConfigError:
        raise
    except Exception as exc:  # the user's module failed: say which and why
        raise ConfigError(f"mcp: loading {spec} failed: {type(exc).__name__}: {exc}") from exc
    if not callable(target):
        raise ConfigError(f"mcp: {spec} is not callable")
    return target  # type: ignore[no-any-return]


def load_extras(config_path: Path | None) -> Extras:
    """The `mcp` section of the config file (an empty one without a file or section)."""
    extras = Extras()
    if config_path is None:
        return extras
    try:
        raw = orjson.loads(config_path.read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        raise ConfigError(f"{config_path}: cannot read ({exc})") from exc
    section = raw.get("mcp") if isinstance(raw, dict) else None
    if not isinstance(section, dict):
        return extras
    base = config_path.parent
    for item in section.get("resources") or []:
        meta = {k: v for k, v in item.items() if k != "read"}
        meta.setdefault("name", item["uri"])
        extras.resources.append(meta)
        extras.readers[item["uri"]] = _load(item["read"], base)
    for item in section.get("resource_templates") or []:
        meta = {k: v for k, v in item.items() if k != "read"}
        meta.setdefault("name", item["uriTemplate"])
        extras.templates.append((template_pattern(item["uriTemplate"]), meta))
        extras.template_readers.append(_load(item["read"], base))
    for graph_id, override in (section.get("tools") or {}).items():
        if isinstance(override, dict):
            extras.tools[str(graph_id)] = dict(override)
    for item in section.get("prompts") or []:
        meta = {k: v for k, v in item.items() if k != "get"}
        extras.prompts[item["name"]] = meta
        extras.getters[item["name"]] = _load(item["get"], base)
    return extras


async def call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    result = fn(*args, **kwargs)
    if inspect.isawaitable(result):
        result = await result
    return result


def contents(uri: str, mime: str | None, value: Any) -> list[dict[str, Any]]:
    """A read callable's return value as MCP resource contents."""
    if isinstance(value, bytes):
        blob = base64.b64encode(value).decode()
        return [{"uri": uri, "mimeType": mime or "application/octet-stream", "blob": blob}]
    if isinstance(value, str):
        return [{"uri": uri, "mimeType": mime or "text/plain", "text": value}]
    if isinstance(value, list):
        return [dict(v) for v in value]
    return [{"uri": uri, "mimeType": "application/json", "text": orjson.dumps(value).decode()}]
