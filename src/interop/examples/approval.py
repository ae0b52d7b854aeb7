"""`approval`: asks a human before answering (LangGraph `interrupt`), then reflects the answer.

The interrupt value carries the JSON Schema of the answer it wants (`schema`): MCP clients are
shown a form with one `approved` checkbox and the run resumes with `{"approved": true}`; other
clients read the schema from the interrupt value. A plain string is still understood.
"""

from __future__ import annotations

import json
from typing import Any

from langchain_core.messages import AIMessage
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.types import interrupt

from interop.examples._text import last_user_text

ANSWER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "approved": {
            "type": "boolean",
            "title": "Approve",
            "description": "Whether the request is approved.",
        }
    },
    "required": ["approved"],
}


def describe(answer: Any) -> str:
    """Turn a resume value into the text of the reply."""
    if isinstance(answer, dict) and "approved" in answer:
        return "Approved." if answer["approved"] else "Rejected."
    if isinstance(answer, str):
        return f"Answer received: {answer}"
    return f"Answer received: {json.dumps(answer, sort_keys=True, default=str)}"


def ask(state: MessagesState) -> dict[str, Any]:
    request = last_user_text(state["messages"])
    question = f"Approve this request? {request}".strip()
    answer = interrupt({"question": question, "schema": ANSWER_SCHEMA})
    return {"messages": [AIMessage(content=describe(answer))]}


builder = StateGraph(MessagesState)
builder.add_node("ask", ask)
builder.add_edge(START, "ask")
builder.add_edge("ask", END)
graph = builder.compile(name="approval")
graph.description = "Asks for approval with an interrupt, then answers with the decision."  # type: ignore[attr-defined]
