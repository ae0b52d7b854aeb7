"""`countdown`: counts down from `n`, one custom stream event per step, `delay` seconds apart."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from langchain_core.messages import AIMessage, AnyMessage
from langgraph.config import get_stream_writer
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from pydantic import Field, TypeAdapter, ValidationError
from typing_extensions import TypedDict

MAX_N = 10_000
MAX_DELAY = 60.0  # seconds

Count = Annotated[int, Field(ge=0, le=MAX_N)]
Delay = Annotated[float, Field(ge=0, le=MAX_DELAY, allow_inf_nan=False)]


class CountdownInput(TypedDict, total=False):
    n: Count
    delay: Delay


class CountdownState(TypedDict, total=False):
    n: Count
    delay: Delay
    messages: Annotated[list[AnyMessage], add_messages]


_INPUT = TypeAdapter(CountdownInput)


def arguments(state: CountdownState) -> tuple[int, float]:
    """(n, delay) from the state; ValueError naming the bad field for anything out of bounds."""
    given = {key: state[key] for key in ("n", "delay") if key in state}
    try:
        valid = _INPUT.validate_python(given)
    except ValidationError as exc:
        bad = ", ".join(sorted({str(e["loc"][0]) for e in exc.errors(include_url=False)}))
        raise ValueError(
            f"countdown takes n, an integer 0..{MAX_N}, and delay, 0..{MAX_DELAY:g} seconds;"
            f" out of bounds: {bad}"
        ) from None
    return valid.get("n", 5), valid.get("delay", 1.0)


async def count(state: CountdownState) -> dict[str, Any]:
    n, delay = arguments(state)
    write = get_stream_writer()
    # Emit `remaining: k` for k = n .. 1, sleeping `delay` after each; a cancel lands in a sleep,
    # so it takes effect within one step.
    for k in range(n, 0, -1):
        write({"remaining": k})
        await asyncio.sleep(delay)
    return {"messages": [AIMessage(content="done")]}


builder = StateGraph(CountdownState, input_schema=CountdownInput)
builder.add_node("count", count)
builder.add_edge(START, "count")
builder.add_edge("count", END)
graph = builder.compile(name="countdown")
graph.description = "Counts down from n, emitting {remaining: k} custom events delay seconds apart."  # type: ignore[attr-defined]
