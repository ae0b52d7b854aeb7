"""The run context a graph's nodes read as `runtime.context`.

A run's context is the graph's context schema defaults, overlaid by the assistant's context and
then the run's own (the overlay is done when the run is created). LangGraph builds the schema
instance from the dict it is given (a dataclass or pydantic model gets its defaults filled), so
a graph with a context schema always receives a context, even when nobody sent one: otherwise
its nodes would see `runtime.context is None`.
"""

from __future__ import annotations

from typing import Any

from langgraph.pregel import Pregel


def run_context(graph: Pregel[Any], context: dict[str, Any] | None) -> dict[str, Any] | None:
    """The context to pass to `graph`: `context` (possibly empty) when the graph declares a
    context schema or something was sent, else None (a graph without a schema keeps None)."""
    if context:
        return context
    if getattr(graph, "context_schema", None) is not None:
        return dict(context or {})
    return None
