"""The REST front door: the LangGraph Agent Server API over the core services."""
