"""The `a2a` key of the config file.

```json
"a2a": {
  "default_assistant": "echo",             // the card at /.well-known/agent-card.json
  "allow_private_push_urls": false,        // push to loopback/private addresses (tests only)
  "provider": {"organization": "Acme", "url": "https://acme.example"},
  "graphs": {
    "echo": {
      "skills": [{"id": "echo", "name": "Echo", "description": "...", "tags": ["demo"]}],
      "input_modes": ["text/plain"], "output_modes": ["text/plain"]
    }
  }
}
```
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

log = logging.getLogger("interop.a2a")


@dataclass(slots=True)
class A2AConfig:
    default_assistant: str | None = None
    allow_private_push_urls: bool = False
    provider: dict[str, str] | None = None
    graphs: dict[str, dict[str, Any]] = field(default_factory=dict)

    def graph(self, graph_id: str) -> dict[str, Any]:
        return self.graphs.get(graph_id) or {}


def parse(raw: Any) -> A2AConfig:
    if not isinstance(raw, dict):
        return A2AConfig()
    graphs = raw.get("graphs")
    provider = raw.get("provider")
    default = raw.get("default_assistant")
    return A2AConfig(
        default_assistant=default if isinstance(default, str) else None,
        allow_private_push_urls=bool(raw.get("allow_private_push_urls", False)),
        provider=provider if isinstance(provider, dict) else None,
        graphs={k: v for k, v in graphs.items() if isinstance(v, dict)}
        if isinstance(graphs, dict)
        else {},
    )


def load(path: Path | None) -> A2AConfig:
    """The `a2a` section of the config file at `path` (defaults when absent or unreadable; the
    file itself was validated when the graphs were loaded)."""
    if path is None:
        return A2AConfig()
    try:
        raw = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        log.warning("cannot read the a2a section of %s", path)
        return A2AConfig()
    return parse(raw.get("a2a") if isinstance(raw, dict) else None)
