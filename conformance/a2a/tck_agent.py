"""The agent the official A2A TCK expects of a system under test, as a LangGraph graph.

Behaviour is selected by the prefix of the incoming message's `messageId` (the TCK's in-band
signal, see a2a-tck `scenarios/*.feature`). Messages without a known prefix ask for input, and
keep asking (the task stays `input-required`, as the 0.3 TCK expects of plain messages) until
an answer's messageId says how to complete it.

Nothing here is interop-specific beyond the A2A reply hints in `additional_kwargs["a2a"]`
(see `interop.a2a.translate`).
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any

from langchain_core.callbacks import (
    AsyncCallbackManagerForLLMRun,
    CallbackManagerForLLMRun,
)
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, AnyMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.types import interrupt
from typing_extensions import TypedDict

# Seconds the resubscription scenario stays working: 2x the TCK's streaming timeout.
RESUBSCRIBE_SECONDS = 4.0


class State(TypedDict, total=False):
    messages: Annotated[list[AnyMessage], add_messages]
    result: dict[str, Any]


class ChunkModel(BaseChatModel):
    """Streams the chunks it is given (`chunks` in the call's kwargs) as message chunks."""

    @property
    def _llm_type(self) -> str:
        return "tck-chunks"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        text = "".join(kwargs.get("chunks", []))
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        for token in kwargs.get("chunks", []):
            yield ChatGenerationChunk(message=AIMessageChunk(content=token))

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        for token in kwargs.get("chunks", []):
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=token))
            if run_manager:
                await run_manager.on_llm_new_token(token, chunk=chunk)
            yield chunk


_model = ChunkModel()


def _text(text: str, **hint: Any) -> dict[str, Any]:
    extra = {"a2a": hint} if hint else {}
    return {"messages": [AIMessage(content=text, additional_kwargs=extra)]}


def _file(**source: Any) -> dict[str, Any]:
    block = {"type": "file", "mime_type": "text/plain", "filename": "output.txt", **source}
    return {"messages": [AIMessage(content=[block])]}


def _last_user_id(state: State) -> str:
    for message in reversed(state.get("messages", [])):
        if message.type == "human":
            return str(message.id or "")
    return ""


async def respond(state: State) -> dict[str, Any]:
    prefix = _last_user_id(state)
    if prefix.startswith("tck-stream-artifact-chunked"):
        reply = await _model.ainvoke(state["messages"], chunks=["chunk-1 ", "chunk-2"])
        return {"messages": [reply]}
    if prefix.startswith("tck-stream-artifact-file") or prefix.startswith("tck-artifact-file-url"):
        if prefix.startswith("tck-artifact-file-url"):
            return _file(url="https://example.com/output.txt")
        return _file(base64=base64.b64encode(b"tck").decode())
    if prefix.startswith("tck-artifact-file"):
        return _file(base64=base64.b64encode(b"tck").decode())
    if prefix.startswith("tck-artifact-data"):
        return {"result": {"key": "value", "count": 42}}
    if prefix.startswith("tck-artifact-text"):
        return _text("Generated text content")
    if prefix.startswith("tck-stream-artifact-text"):
        return _text("Streamed text content")
    if prefix.startswith("tck-stream-ordering"):
        return _text("Ordered output")
    if prefix.startswith("tck-stream-002"):
        return {}
    if prefix.startswith("tck-stream-003"):
        return _text("Stream task lifecycle")
    if prefix.startswith("tck-stream"):
        return _text("Stream hello from TCK")
    if prefix.startswith("tck-message-response"):
        return _text("Direct message response", reply="message")
    if prefix.startswith("tck-reject-task"):
        return _text("rejected", state="rejected")
    if prefix.startswith("tck-complete-task"):
        return _text("Hello from TCK")
    if prefix.startswith("test-resubscribe"):
        await asyncio.sleep(RESUBSCRIBE_SECONDS)
        return _text("Resubscribed task complete")
    # tck-input-required, and any message without a scenario prefix: ask, and ask again
    # whatever the answer (an answer whose messageId is tck-complete-task-… completes the task,
    # above: the answer is the last user message when the node runs again).
    # Each answer resumes the next interrupt() in turn; the first one without an answer pauses.
    question = {"question": "Input required: please answer to continue."}
    while True:
        interrupt(question)


builder = StateGraph(State)
builder.add_node("respond", respond)
builder.add_edge(START, "respond")
builder.add_edge("respond", END)
graph = builder.compile(name="tck")
graph.description = "The A2A TCK system under test: behaviour chosen by messageId prefix."  # type: ignore[attr-defined]
