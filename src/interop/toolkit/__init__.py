"""The agent-service-toolkit API (JoshuaC215/agent-service-toolkit) under `/toolkit`.

Its `AgentClient` and Streamlit app work against interop unchanged: `/info`, `/invoke`,
`/stream`, `/history`, `/feedback`, `/health`, with or without an `{agent_id}` prefix. An agent
is a graph (or assistant); a toolkit thread is an interop thread, so the same conversation is
readable over REST, A2A and MCP.
"""
