"""The tables of our records (the checkpoint tables are LangGraph's SqliteSaver's own)."""

from __future__ import annotations

import sqlite3

SCHEMA = """
CREATE TABLE IF NOT EXISTS assistants (
    assistant_id TEXT PRIMARY KEY,
    graph_id TEXT NOT NULL,
    config TEXT NOT NULL,
    context TEXT NOT NULL,
    metadata TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS assistant_versions (
    assistant_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    graph_id TEXT NOT NULL,
    config TEXT NOT NULL,
    context TEXT NOT NULL,
    metadata TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (assistant_id, version)
);
CREATE TABLE IF NOT EXISTS threads (
    thread_id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    state_updated_at TEXT,
    metadata TEXT NOT NULL,
    config TEXT NOT NULL,
    status TEXT NOT NULL,
    "values" TEXT,
    interrupts TEXT NOT NULL,
    error TEXT
);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    thread_id TEXT NOT NULL,
    assistant_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    status TEXT NOT NULL,
    metadata TEXT NOT NULL,
    kwargs TEXT NOT NULL,
    multitask_strategy TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    temporary INTEGER NOT NULL
);
-- Every sort the API offers reads its order from an index (ties broken by id, scanned
-- backwards for descending order), so a page of a search stops after `limit` rows.
CREATE INDEX IF NOT EXISTS assistants_created_at ON assistants (created_at, assistant_id);
CREATE INDEX IF NOT EXISTS assistants_updated_at ON assistants (updated_at, assistant_id);
CREATE INDEX IF NOT EXISTS assistants_name ON assistants (name, assistant_id);
CREATE INDEX IF NOT EXISTS assistants_graph_id ON assistants (graph_id, assistant_id);
CREATE INDEX IF NOT EXISTS threads_created_at ON threads (created_at, thread_id);
CREATE INDEX IF NOT EXISTS threads_updated_at ON threads (updated_at, thread_id);
CREATE INDEX IF NOT EXISTS threads_state_updated_at ON threads (state_updated_at, thread_id);
CREATE INDEX IF NOT EXISTS threads_status ON threads (status, created_at, thread_id);
CREATE INDEX IF NOT EXISTS threads_status_id ON threads (status, thread_id);
DROP INDEX IF EXISTS runs_thread;
DROP INDEX IF EXISTS runs_status;
CREATE INDEX IF NOT EXISTS runs_thread_created_at ON runs (thread_id, created_at, run_id);
CREATE INDEX IF NOT EXISTS runs_status_created_at ON runs (status, created_at, run_id);
CREATE INDEX IF NOT EXISTS runs_created_at ON runs (created_at, run_id);
"""

# The adapters' records: A2A push configs, MCP tasks and sessions (adapters.py).
ADAPTERS_SCHEMA = """
CREATE TABLE IF NOT EXISTS adapter_records (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    scope TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT,
    PRIMARY KEY (kind, key)
);
CREATE INDEX IF NOT EXISTS adapter_records_scope ON adapter_records (kind, scope, created_at, key);
CREATE INDEX IF NOT EXISTS adapter_records_expires_at ON adapter_records (expires_at);
"""


# Columns added since a table was first created: (table, column, declaration).
ADDED_COLUMNS = [
    ("runs", "lease_owner", "TEXT"),  # run claims: who holds a running run's lease
    ("runs", "lease_expires_at", "TEXT"),  # and until when
    ("threads", "ttl_expires_at", "TEXT"),  # thread TTL: when the thread expires (thread_ttl.py)
    ("threads", "ttl_strategy", "TEXT"),  # and what then happens to it
]


def add_columns(conn: sqlite3.Connection) -> None:
    """Add the ADDED_COLUMNS a database made by an earlier version lacks."""
    for table, column, declaration in ADDED_COLUMNS:
        have = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
        if column not in have:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")
