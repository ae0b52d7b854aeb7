"""Domain records → the JSON the REST API answers with."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from interop.core.models import Assistant, Run, RunOutcome, Thread

_HIDDEN_KWARGS = {"graph_id", "after_seconds", "checkpoint"}


def assistant(a: Assistant, select: Iterable[str] | None = None) -> dict[str, Any]:
    record = {
        "assistant_id": a.assistant_id,
        "graph_id": a.graph_id,
        "config": a.config,
        "context": a.context,
        "metadata": a.metadata,
        "name": a.name,
        "description": a.description,
        "version": a.version,
        "created_at": a.created_at.isoformat(),
        "updated_at": a.updated_at.isoformat(),
    }
    return {k: record[k] for k in select if k in record} if select else record


def thread(t: Thread, select: Iterable[str] | None = None) -> dict[str, Any]:
    record: dict[str, Any] = {
        "thread_id": t.thread_id,
        "created_at": t.created_at.isoformat(),
        "updated_at": t.updated_at.isoformat(),
        "state_updated_at": t.state_updated_at.isoformat() if t.state_updated_at else None,
        "metadata": t.metadata,
        "status": t.status,
        "config": t.config,
        "values": t.values,
        "interrupts": t.interrupts,
    }
    if t.error is not None:
        record["error"] = t.error
    return {k: record[k] for k in select if k in record} if select else record


def run(r: Run) -> dict[str, Any]:
    return {
        "run_id": r.run_id,
        "thread_id": r.thread_id,
        "assistant_id": r.assistant_id,
        "created_at": r.created_at.isoformat(),
        "updated_at": r.updated_at.isoformat(),
        "status": r.status,
        "metadata": r.metadata,
        "kwargs": {k: v for k, v in r.kwargs.items() if k not in _HIDDEN_KWARGS},
        "multitask_strategy": r.multitask_strategy,
        "attempt": r.attempt,
        "langsmith_session_name": None,
    }


def outcome(ended: RunOutcome) -> Any:
    """What /wait and /join answer: the final values, plus `__interrupt__` or `__error__`."""
    if ended.error is not None:
        return {"__error__": ended.error}
    values = ended.values
    if ended.interrupts:
        base = dict(values) if isinstance(values, dict) else {}
        base["__interrupt__"] = ended.interrupts
        return base
    return values if values is not None else {}
