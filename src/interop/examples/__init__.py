"""Bundled example agents: no LLM, no network, deterministic behaviour.

`echo`, `approval` and `countdown` are served when no config file is found; the
A2A and MCP front doors and the test suites rely on their exact behaviour.
"""
