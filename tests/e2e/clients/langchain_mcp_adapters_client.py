"""LangChain's MCP adapters (`langchain-mcp-adapters`, which drop `_meta`) against interop.

Run in its own environment (the adapters need the 1.x `mcp` package): see
tests/e2e/test_langchain_mcp_adapters.py. Continues a thread and answers an interrupt with only
what a LangChain agent keeps of a result: the ToolMessage content (what the model reads) and
its artifact (`structuredContent`). Prints one JSON report.
Usage: python langchain_mcp_adapters_client.py <MCP endpoint url>
"""

import asyncio
import json
import sys
from typing import Any

from langchain_mcp_adapters.client import MultiServerMCPClient


def _texts(message: Any) -> list[str]:
    content = message.content
    if isinstance(content, str):
        return [content]
    return [b["text"] if isinstance(b, dict) else str(b) for b in content]


async def main(url: str) -> None:
    client = MultiServerMCPClient({"interop": {"url": url, "transport": "streamable_http"}})
    tools = {t.name: t for t in await client.get_tools()}

    async def call(name: str, args: dict[str, Any], call_id: str) -> Any:
        call = {"type": "tool_call", "id": call_id, "name": name, "args": args}
        return await tools[name].ainvoke(call)

    report: dict[str, Any] = {}
    first = await call("echo", {"message": "one"}, "c1")
    # What the model reads: the answer, then "thread_id: <id>".
    thread_id = _texts(first)[-1].removeprefix("thread_id: ")
    second = await call("echo", {"message": "two", "thread_id": thread_id}, "c2")
    report["echo"] = {
        "first": _texts(first),
        "artifact_thread": first.artifact["structured_content"]["thread_id"],
        "second": _texts(second),
        "second_messages": len(second.artifact["structured_content"]["messages"]),
    }

    waiting = await call("approval", {"message": "deploy?"}, "c3")
    waiting_thread = waiting.artifact["structured_content"]["thread_id"]
    answer = {"thread_id": waiting_thread, "resume": {"approved": True}}
    answered = await call("approval", answer, "c4")
    report["approval"] = {"waiting": _texts(waiting), "answered": _texts(answered)}
    print(json.dumps(report))


asyncio.run(main(sys.argv[1]))
