"""The MCP front door: Streamable HTTP at /mcp, assistants as tools, both protocol eras."""
