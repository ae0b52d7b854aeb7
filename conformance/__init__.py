"""Black-box conformance suites (REST, A2A, MCP) that take a base URL."""
