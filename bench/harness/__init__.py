"""Reusable benchmark harness: servers, closed-loop load, single-client streams, RSS, reports."""
