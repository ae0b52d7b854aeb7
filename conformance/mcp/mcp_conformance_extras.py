"""Resources and prompts the official MCP conformance suite expects (no agent equivalent).

Registered through the `mcp` section of `interop.json`; see `interop.mcp.extras`.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from mcp_conformance_agents import IMAGE

WATCHED = "Watched resource content"


def static_text(uri: str) -> str:
    return "This is the content of the static text resource."


def static_binary(uri: str) -> bytes:
    return base64.b64decode(IMAGE)


def template(uri: str, id: str) -> str:
    return json.dumps({"id": id, "templateTest": True, "data": f"Data for ID: {id}"})


def watched(uri: str) -> str:
    return WATCHED


def _user(content: dict[str, Any]) -> dict[str, Any]:
    return {"role": "user", "content": content}


def simple_prompt(arguments: dict[str, str], request: Any) -> list[dict[str, Any]]:
    return [_user({"type": "text", "text": "This is a simple prompt for testing."})]


def prompt_with_arguments(arguments: dict[str, str], request: Any) -> list[dict[str, Any]]:
    text = f"Prompt with arguments: arg1='{arguments.get('arg1')}', arg2='{arguments.get('arg2')}'"
    return [_user({"type": "text", "text": text})]


def prompt_with_embedded_resource(arguments: dict[str, str], request: Any) -> list[dict[str, Any]]:
    resource = {
        "uri": arguments.get("resourceUri", "test://example-resource"),
        "mimeType": "text/plain",
        "text": "Embedded resource content for testing.",
    }
    return [
        _user({"type": "resource", "resource": resource}),
        _user({"type": "text", "text": "Please process the embedded resource above."}),
    ]


def prompt_with_image(arguments: dict[str, str], request: Any) -> list[dict[str, Any]]:
    return [
        _user({"type": "image", "data": IMAGE, "mimeType": "image/png"}),
        _user({"type": "text", "text": "Please analyze the image above."}),
    ]


def input_required_prompt(arguments: dict[str, str], request: Any) -> Any:
    answer = (request.input_responses or {}).get("user_context")
    if isinstance(answer, dict) and answer.get("action") == "accept":
        text = (answer.get("content") or {}).get("context", "?")
        return [_user({"type": "text", "text": f"Use the following context: {text}"})]
    schema = {
        "type": "object",
        "properties": {"context": {"type": "string"}},
        "required": ["context"],
    }
    return {
        "resultType": "input_required",
        "inputRequests": {
            "user_context": {
                "method": "elicitation/create",
                "params": {
                    "message": "What context should the prompt use?",
                    "requestedSchema": schema,
                },
            }
        },
    }
