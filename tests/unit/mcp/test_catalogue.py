"""The tool catalogue's non-waiting schema lookup (the SDK's `get_tool_input_schema`)."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any, cast

from interop.core.assistants import AssistantService
from interop.core.models import Assistant
from interop.mcp.tools import ToolCatalogue

_INPUT = {"type": "object", "properties": {"n": {"type": "integer"}}}


def _assistant(assistant_id: str, name: str) -> Assistant:
    stamp = datetime.now(UTC)
    return Assistant(
        assistant_id=assistant_id,
        graph_id="g",
        config={},
        context={},
        metadata={},
        name=name,
        description="d",
        version=1,
        created_at=stamp,
        updated_at=stamp,
    )


class _Assistants:
    def __init__(self) -> None:
        self.items = [_assistant("a1", "first")]
        self.graphs = {"g": SimpleNamespace(description="graph")}

    async def search(self, **_: Any) -> list[Assistant]:
        return list(self.items)


def _catalogue(assistants: _Assistants) -> ToolCatalogue:
    catalogue = ToolCatalogue(cast(AssistantService, assistants))
    catalogue._schemas["g"] = {"input_schema": _INPUT, "output_schema": None}
    return catalogue


async def test_lookup_before_and_after_build_and_across_a_rebuild() -> None:
    assistants = _Assistants()
    catalogue = _catalogue(assistants)
    assert catalogue.input_schema_of("first") is None  # nothing built yet
    await catalogue.entries()
    schema = catalogue.input_schema_of("first")
    assert schema is not None and schema["properties"]["n"] == {"type": "integer"}
    assert "thread_id" in schema["properties"]
    assert catalogue.input_schema_of("missing") is None
    assistants.items.append(_assistant("a2", "second"))
    catalogue.invalidate()
    # While the rebuild is pending, the previous catalogue answers.
    assert catalogue.input_schema_of("first") == schema
    assert catalogue.input_schema_of("second") is None
    await catalogue.entries()
    assert catalogue.input_schema_of("second") == schema
