"""`countdown`: counts down from `n`, one custom stream event per step, `delay` seconds apart."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from langchain_core.messages import AIMessage, AnyMessage
from langgraph.config import get_stream_writer
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from typing_extensions import TypedDict


class CountdownInput(TypedDict, total=False):
    n: int
    delay: float


class CountdownState(TypedDict, total=False):
    n: int
    delay: float
    messages: Annotated[list[AnyMessage], add_messages]


async def count(state: CountdownState) -> dict[str, Any]:
    n = int(state.get("n", 5))
    delay = float(state.get("delay", 1.0))
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
