"""The run/thread core: domain models, services, run execution and event streams.

Adapters (REST, A2A, MCP) call the services here and nothing else.
"""
