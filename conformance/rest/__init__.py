"""REST conformance suite: the LangGraph Agent Server contract, checked over HTTP."""
