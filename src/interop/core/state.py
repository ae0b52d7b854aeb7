"""Turning LangGraph state snapshots into the plain JSON records clients read."""

from __future__ import annotations

from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.types import StateSnapshot

from interop.core.serde import to_jsonable


def checkpoint_record(config: RunnableConfig | None) -> dict[str, Any] | None:
    """`{thread_id, checkpoint_ns, checkpoint_id, checkpoint_map}` of a checkpoint config."""
    if not config:
        return None
    conf = config.get("configurable", {})
    if "checkpoint_id" not in conf:
        return None
    return {
        "thread_id": conf.get("thread_id"),
        "checkpoint_ns": conf.get("checkpoint_ns", ""),
        "checkpoint_id": conf.get("checkpoint_id"),
        "checkpoint_map": conf.get("checkpoint_map"),
    }


def interrupt_record(interrupt: Any) -> dict[str, Any]:
    return {"value": to_jsonable(interrupt.value), "id": interrupt.id}


def snapshot_record(snapshot: StateSnapshot) -> dict[str, Any]:
    """A ThreadState record: values, next, tasks, metadata, checkpoints and interrupts."""
    tasks = []
    for task in snapshot.tasks:
        state = task.state
        tasks.append(
            {
                "id": task.id,
                "name": task.name,
                "path": to_jsonable(task.path),
                "error": repr(task.error) if task.error is not None else None,
                "interrupts": [interrupt_record(i) for i in task.interrupts],
                "checkpoint": checkpoint_record(state) if isinstance(state, dict) else None,
                "state": snapshot_record(state) if isinstance(state, StateSnapshot) else None,
                "result": to_jsonable(task.result) if task.result is not None else None,
            }
        )
    checkpoint = checkpoint_record(snapshot.config)
    parent = checkpoint_record(snapshot.parent_config)
    return {
        "values": to_jsonable(snapshot.values),
        "next": list(snapshot.next),
        "tasks": tasks,
        "metadata": to_jsonable(snapshot.metadata),
        "created_at": snapshot.created_at,
        "checkpoint": checkpoint,
        "parent_checkpoint": parent,
        "interrupts": [interrupt_record(i) for i in snapshot.interrupts],
        "checkpoint_id": checkpoint["checkpoint_id"] if checkpoint else None,
        "parent_checkpoint_id": parent["checkpoint_id"] if parent else None,
    }


def empty_state() -> dict[str, Any]:
    """The state of a thread that has no checkpoint yet."""
    return {
        "values": {},
        "next": [],
        "tasks": [],
        "metadata": None,
        "created_at": None,
        "checkpoint": None,
        "parent_checkpoint": None,
        "interrupts": [],
        "checkpoint_id": None,
        "parent_checkpoint_id": None,
    }


def thread_interrupts(snapshot: StateSnapshot) -> dict[str, list[dict[str, Any]]]:
    """`{task_id: [{id, value}]}` for the tasks waiting on an interrupt."""
    return {
        task.id: [interrupt_record(i) for i in task.interrupts]
        for task in snapshot.tasks
        if task.interrupts
    }
