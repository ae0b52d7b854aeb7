"""Agents serving the official MCP conformance suite's test tools (`interop.json` names them).

Each test tool is an ordinary LangGraph agent, so the suite exercises interop's own mapping:
content blocks of the final AI message become MCP content, custom stream events become log
and progress notifications, an exception becomes an `isError` result, and `interrupt()` becomes
elicitation / sampling / roots requests (mid-call in the 2025 eras, `input_required` results
in 2026-07-28). Nothing here talks MCP except the shapes of the interrupt values.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from langchain_core.messages import AIMessage, AnyMessage
from langgraph.config import get_stream_writer
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.types import interrupt
from pydantic import BaseModel, Field
from typing_extensions import TypedDict

IMAGE = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
AUDIO = "UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA="
NAME_SCHEMA = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}


class State(TypedDict, total=False):
    messages: Annotated[list[AnyMessage], add_messages]


class PromptState(State, total=False):
    prompt: str


class MessageState(State, total=False):
    message: str


Node = Callable[[Any], Awaitable[dict[str, Any]]]


def agent(node: Node, state: type[Any] = State, description: str = "", **kwargs: Any) -> Any:
    """A one-node graph running `node`."""
    builder = StateGraph(state, **kwargs)
    builder.add_node("agent", node)
    builder.add_edge(START, "agent")
    builder.add_edge("agent", END)
    graph = builder.compile()
    graph.description = description  # type: ignore[attr-defined]
    return graph


def reply(content: Any) -> dict[str, Any]:
    return {"messages": [AIMessage(content=content)]}


def ask(method: str, params: dict[str, Any] | None = None, key: str | None = None) -> Any:
    value: dict[str, Any] = {"method": method, "params": params or {}}
    if key:
        value["key"] = key
    return interrupt(value)


def elicit(message: str, schema: dict[str, Any], key: str | None = None) -> Any:
    return ask("elicitation/create", {"message": message, "requestedSchema": schema}, key)


def sample(text: str, max_tokens: int = 100) -> dict[str, Any]:
    return {
        "messages": [{"role": "user", "content": {"type": "text", "text": text}}],
        "maxTokens": max_tokens,
    }


# -- content -----------------------------------------------------------------------------------


async def _simple_text(state: State) -> dict[str, Any]:
    return reply("This is a simple text response for testing.")


async def _image(state: State) -> dict[str, Any]:
    return reply([{"type": "image", "base64": IMAGE, "mime_type": "image/png"}])


async def _audio(state: State) -> dict[str, Any]:
    return reply([{"type": "audio", "base64": AUDIO, "mime_type": "audio/wav"}])


_EMBEDDED = {
    "type": "resource",
    "resource": {
        "uri": "test://embedded-resource",
        "mimeType": "text/plain",
        "text": "This is an embedded resource content.",
    },
}


async def _embedded(state: State) -> dict[str, Any]:
    return reply([_EMBEDDED])


async def _mixed(state: State) -> dict[str, Any]:
    return reply(
        [
            {"type": "text", "text": "Multiple content types test:"},
            {"type": "image", "base64": IMAGE, "mime_type": "image/png"},
            {
                "type": "resource",
                "resource": {
                    "uri": "test://mixed-content-resource",
                    "mimeType": "application/json",
                    "text": '{"test": "data", "value": 123}',
                },
            },
        ]
    )


test_simple_text = agent(_simple_text, description="Tests simple text content response")
test_image_content = agent(_image, description="Tests image content response")
test_audio_content = agent(_audio, description="Tests audio content response")
test_embedded_resource = agent(_embedded, description="Tests embedded resource content response")
test_multiple_content_types = agent(
    _mixed, description="Tests response with multiple content types (text, image, resource)"
)

# -- logging, progress, errors ---------------------------------------------------------------------


async def _logging(state: State) -> dict[str, Any]:
    write = get_stream_writer()
    write({"type": "log", "level": "info", "data": "Tool execution started"})
    await asyncio.sleep(0.05)
    write({"type": "log", "level": "info", "data": "Tool processing data"})
    await asyncio.sleep(0.05)
    write({"type": "log", "level": "info", "data": "Tool execution completed"})
    return reply("Tool with logging executed successfully")


async def _progress(state: State) -> dict[str, Any]:
    write = get_stream_writer()
    for step in (0, 50, 100):
        write({"progress": step, "total": 100, "message": f"Completed step {step} of 100"})
        if step < 100:
            await asyncio.sleep(0.05)
    return reply("Tool with progress executed successfully")


async def _error(state: State) -> dict[str, Any]:
    raise RuntimeError("This tool intentionally returns an error for testing")


test_tool_with_logging = agent(_logging, description="Tests tool that emits log messages")
test_tool_with_progress = agent(_progress, description="Tests tool that reports progress")
test_error_handling = agent(_error, description="Tests error response handling")

# -- asking the client (interrupts) -------------------------------------------------------------------


def _text_of(result: Any) -> str:
    content = result.get("content") if isinstance(result, dict) else None
    if isinstance(content, dict) and content.get("type") == "text":
        return str(content.get("text"))
    return "No response"


async def _sampling(state: PromptState) -> dict[str, Any]:
    result = ask("sampling/createMessage", sample(state.get("prompt", "")))
    return reply(f"LLM response: {_text_of(result)}")


def _elicitation_report(prefix: str, result: Any) -> str:
    action = result.get("action") if isinstance(result, dict) else "cancel"
    content = result.get("content") if action == "accept" else {}
    return f"{prefix}: action={action}, content={json.dumps(content or {})}"


async def _elicitation(state: MessageState) -> dict[str, Any]:
    schema = {
        "type": "object",
        "properties": {
            "username": {"type": "string", "description": "User's response"},
            "email": {"type": "string", "description": "User's email address"},
        },
        "required": ["username", "email"],
    }
    result = elicit(state.get("message", "Please provide your information"), schema)
    return reply(_elicitation_report("User response", result))


_DEFAULTS_SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "default": "John Doe", "description": "User name"},
        "age": {"type": "integer", "default": 30, "description": "User age"},
        "score": {"type": "number", "default": 95.5, "description": "User score"},
        "status": {
            "type": "string",
            "default": "active",
            "enum": ["active", "inactive", "pending"],
            "description": "User status",
        },
        "verified": {"type": "boolean", "default": True, "description": "Verification status"},
    },
}


async def _defaults(state: State) -> dict[str, Any]:
    result = elicit("Please provide user information", _DEFAULTS_SCHEMA)
    return reply(_elicitation_report("Elicitation result", result))


_ENUMS_SCHEMA = {
    "type": "object",
    "properties": {
        "untitledSingle": {
            "type": "string",
            "description": "Simple enum without titles",
            "enum": ["active", "inactive", "pending"],
        },
        "titledSingle": {
            "type": "string",
            "description": "Enum with titled options (oneOf)",
            "oneOf": [
                {"const": "low", "title": "Low Priority"},
                {"const": "medium", "title": "Medium Priority"},
                {"const": "high", "title": "High Priority"},
            ],
        },
        "untitledMulti": {
            "type": "array",
            "description": "Multi-select without titles",
            "items": {"type": "string", "enum": ["read", "write", "execute"]},
        },
        "titledMulti": {
            "type": "array",
            "description": "Multi-select with titled options",
            "items": {
                "anyOf": [
                    {"const": "feature", "title": "New Feature"},
                    {"const": "bug", "title": "Bug Fix"},
                    {"const": "docs", "title": "Documentation"},
                ]
            },
        },
        "legacyEnum": {
            "type": "string",
            "description": "Legacy enum with enumNames",
            "enum": ["small", "medium", "large"],
            "enumNames": ["Small Size", "Medium Size", "Large Size"],
        },
    },
    "required": ["untitledSingle", "titledSingle", "untitledMulti", "titledMulti", "legacyEnum"],
}


async def _enums(state: State) -> dict[str, Any]:
    result = elicit("Please select values using different enum schema types", _ENUMS_SCHEMA)
    return reply(_elicitation_report("Elicitation completed", result))


test_sampling = agent(_sampling, PromptState, "Tests server-initiated sampling (LLM completion)")
test_elicitation = agent(_elicitation, MessageState, "Tests server-initiated elicitation")
test_elicitation_sep1034_defaults = agent(
    _defaults, description="Tests elicitation with default values for all primitive types"
)
test_elicitation_sep1330_enums = agent(
    _enums, description="Tests elicitation with enum schema variations per SEP-1330"
)


async def _missing_capability(state: State) -> dict[str, Any]:
    result = ask("sampling/createMessage", sample("Say hello", 50))
    return reply(f"Client declared sampling capability; model said: {_text_of(result)}")


test_missing_capability = agent(
    _missing_capability, description="Needs the client's sampling capability to proceed"
)

# -- input_required (2026-07-28) --------------------------------------------------------------------


async def _ir_elicitation(state: State) -> dict[str, Any]:
    result = elicit("What is your name?", NAME_SCHEMA, key="user_name")
    name = (
        (result.get("content") or {}).get("name", "stranger") if isinstance(result, dict) else "?"
    )
    return reply(f"Hello, {name}!")


async def _ir_sampling(state: State) -> dict[str, Any]:
    result = ask(
        "sampling/createMessage", sample("What is the capital of France?"), key="capital_question"
    )
    return reply(f"Model said: {_text_of(result)}")


async def _ir_roots(state: State) -> dict[str, Any]:
    result = ask("roots/list", {}, key="client_roots")
    roots = result.get("roots") if isinstance(result, dict) else None
    return reply(f"Client exposed {len(roots or [])} root(s).")


_CONFIRM = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}


async def _ir_state(state: State) -> dict[str, Any]:
    elicit("Please confirm", _CONFIRM, key="confirm")
    return reply("state-ok: confirmation received")


async def _ir_multiple(state: State) -> dict[str, Any]:
    interrupt(
        {
            "inputRequests": {
                "user_name": {
                    "method": "elicitation/create",
                    "params": {"message": "What is your name?", "requestedSchema": NAME_SCHEMA},
                },
                "greeting": {
                    "method": "sampling/createMessage",
                    "params": sample("Generate a greeting", 50),
                },
                "client_roots": {"method": "roots/list", "params": {}},
            }
        }
    )
    return reply("All inputs received.")


async def _ir_multi_round(state: State) -> dict[str, Any]:
    first = elicit("Step 1: What is your name?", NAME_SCHEMA, key="step1")
    name = (first.get("content") or {}).get("name") if isinstance(first, dict) else None
    color_schema = {
        "type": "object",
        "properties": {"color": {"type": "string"}},
        "required": ["color"],
    }
    second = elicit("Step 2: What is your favorite color?", color_schema, key="step2")
    color = (second.get("content") or {}).get("color") if isinstance(second, dict) else None
    return reply(f"{name} likes {color}.")


async def _ir_capabilities(state: State) -> dict[str, Any]:
    interrupt(
        {
            "inputRequests": {
                "sample": {"method": "sampling/createMessage", "params": sample("Say hello", 50)},
                "ask": {
                    "method": "elicitation/create",
                    "params": {"message": "What is your name?", "requestedSchema": NAME_SCHEMA},
                },
            }
        }
    )
    return reply("capability-gated inputs received")


test_input_required_result_elicitation = agent(_ir_elicitation, description="Asks for a name")
test_input_required_result_sampling = agent(_ir_sampling, description="Asks the client's model")
test_input_required_result_list_roots = agent(_ir_roots, description="Asks for the client's roots")
test_input_required_result_request_state = agent(_ir_state, description="Asks for a confirmation")
test_input_required_result_multiple_inputs = agent(
    _ir_multiple, description="Asks for a name, a completion and the roots at once"
)
test_input_required_result_multi_round = agent(
    _ir_multi_round, description="Asks two questions, one after the other"
)
test_input_required_result_tampered_state = agent(_ir_state, description="Asks for a confirmation")
test_input_required_result_capabilities = agent(
    _ir_capabilities, description="Asks only what the client declared it can answer"
)

# -- input schemas -----------------------------------------------------------------------------------


class RegionInput(BaseModel):
    region: str = Field(
        default="<none>",
        description="Mirrored into the Mcp-Param-Region header",
        json_schema_extra={"x-mcp-header": "Region"},
    )


class RegionState(RegionInput):
    messages: Annotated[list[AnyMessage], add_messages] = Field(default_factory=list)


async def _region(state: RegionState) -> dict[str, Any]:
    return reply(f"region={state.region}")


test_x_mcp_header = agent(
    _region, RegionState, "Tests Mcp-Param-* header validation", input_schema=RegionInput
)


class ContactState(TypedDict, total=False):
    messages: Annotated[list[AnyMessage], add_messages]
    name: str


async def _contact(state: ContactState) -> dict[str, Any]:
    return reply("json_schema_2020_12_tool")


# Its inputSchema (JSON Schema 2020-12 keywords a TypedDict cannot express) is set in
# interop.json's `mcp.tools` section.
json_schema_2020_12_tool = agent(
    _contact, ContactState, "Tests JSON Schema 2020-12 keyword preservation in tools/list"
)


async def _streaming_elicitation(state: State) -> dict[str, Any]:
    result = elicit("What is your name?", NAME_SCHEMA, key="user_name")
    return reply(_elicitation_report("User response", result))


async def _logging_only(state: State) -> dict[str, Any]:
    get_stream_writer()({"type": "log", "level": "info", "data": "a log entry"})
    return reply("logged")


test_streaming_elicitation = agent(_streaming_elicitation, description="Asks for a name")
test_logging_tool = agent(_logging_only, description="Emits one log entry")

# -- SSE polling --------------------------------------------------------------------------------------


async def _reconnection(state: State) -> dict[str, Any]:
    write = get_stream_writer()
    write({"type": "log", "level": "info", "data": "Before disconnect"})
    await asyncio.sleep(0.2)
    write({"type": "log", "level": "info", "data": "After reconnect"})
    return reply("Reconnection test completed")


test_reconnection = agent(_reconnection, description="Tests SSE polling (SEP-1699)")

# -- tasks extension (io.modelcontextprotocol/tasks, 2026-07-28) ----------------------------------
#
# The suite's `tasks-*` scenarios name these tools. Whether a call becomes a task is interop's
# policy, set per tool in interop.json's `mcp.tools` (`taskSupport`, `taskAfterMs`): a call
# whose run outlasts `taskAfterMs` is handed over as a task.


class GreetState(State, total=False):
    name: str


class ComputeState(State, total=False):
    seconds: float
    label: str


class FileState(State, total=False):
    filename: str


_CONFIRM_DELETE = {
    "type": "object",
    "properties": {"confirm": {"type": "boolean"}},
    "required": ["confirm"],
}


async def _greet(state: GreetState) -> dict[str, Any]:
    return reply(f"Hello, {state.get('name', 'World')}!")


async def _slow_compute(state: ComputeState) -> dict[str, Any]:
    seconds = float(state.get("seconds", 1))
    await asyncio.sleep(seconds)
    return reply(f"Computed {state.get('label', 'result')} in {seconds:g} s.")


async def _failing_job(state: State) -> dict[str, Any]:
    await asyncio.sleep(1)
    raise RuntimeError("The job failed (a tool execution error)")


async def _protocol_error_job(state: State) -> dict[str, Any]:
    # Asked natively for the client's roots, which the suite's clients do not declare: the call
    # would answer JSON-RPC -32021, so the task fails with that error.
    ask("roots/list", {}, key="roots")
    return reply("unreachable")


async def _confirm_delete(state: FileState) -> dict[str, Any]:
    filename = state.get("filename", "the file")
    result = elicit(f"Delete {filename}?", _CONFIRM_DELETE, key="confirm_delete")
    content = result.get("content") if isinstance(result, dict) else None
    confirmed = isinstance(content, dict) and content.get("confirm") is True
    return reply(f"Deleted {filename}." if confirmed else f"Kept {filename}.")


async def _multi_input(state: State) -> dict[str, Any]:
    answers = interrupt(
        {
            "inputRequests": {
                "first_name": {
                    "method": "elicitation/create",
                    "params": {"message": "First name?", "requestedSchema": NAME_SCHEMA},
                },
                "second_name": {
                    "method": "elicitation/create",
                    "params": {"message": "Second name?", "requestedSchema": NAME_SCHEMA},
                },
            }
        }
    )
    return reply(f"Received {len(answers)} answers.")


async def _tool_with_task(state: State) -> dict[str, Any]:
    # Asked at once (a plain input_required round trip), then slow enough to become a task.
    result = elicit("What is your name?", NAME_SCHEMA, key="user_name")
    content = result.get("content") if isinstance(result, dict) else None
    name = content.get("name", "stranger") if isinstance(content, dict) else "stranger"
    await asyncio.sleep(1.5)
    return reply(f"Hello, {name}!")


greet = agent(_greet, GreetState, "Greets by name (never a task)")
slow_compute = agent(_slow_compute, ComputeState, "Sleeps `seconds`, then answers")
failing_job = agent(_failing_job, description="Fails after a second (needs the tasks extension)")
protocol_error_job = agent(
    _protocol_error_job, description="Asks for the client's roots (needs the tasks extension)"
)
confirm_delete = agent(_confirm_delete, FileState, "Asks to confirm a deletion")
multi_input = agent(_multi_input, description="Asks two questions at once")
test_tool_with_task = agent(
    _tool_with_task, description="Asks a name, then works long enough to become a task"
)
