"""Record builders for the storage tests."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from interop.core.ids import new_id, now
from interop.core.models import Assistant, Run, RunStatus, Thread
from interop.core.storage import Storage

# -- record builders ---------------------------------------------------------------------------


def _assistant(
    assistant_id: str | None = None,
    *,
    graph_id: str = "echo",
    name: str = "a",
    metadata: dict[str, Any] | None = None,
    offset: int = 0,
) -> Assistant:
    stamp = now() + timedelta(seconds=offset)
    return Assistant(
        assistant_id=assistant_id or new_id(),
        graph_id=graph_id,
        config={"configurable": {"k": 1}},
        context={"c": 1},
        metadata=metadata if metadata is not None else {},
        name=name,
        description="d",
        version=1,
        created_at=stamp,
        updated_at=stamp,
    )


def _thread(
    thread_id: str | None = None, *, metadata: dict[str, Any] | None = None, offset: int = 0
) -> Thread:
    stamp = now() + timedelta(seconds=offset)
    return Thread(
        thread_id=thread_id or new_id(),
        created_at=stamp,
        updated_at=stamp,
        metadata=metadata if metadata is not None else {},
    )


def _run(
    thread_id: str, *, status: RunStatus = "pending", offset: float = 0.0, run_id: str | None = None
) -> Run:
    stamp = now() + timedelta(seconds=offset)
    return Run(
        run_id=run_id or new_id(),
        thread_id=thread_id,
        assistant_id=new_id(),
        created_at=stamp,
        updated_at=stamp,
        status=status,
        metadata={"m": 1},
        kwargs={"input": {"x": 1}, "stream_mode": ["values"]},
        multitask_strategy="enqueue",
    )


async def _new_thread(storage: Storage, **kwargs: Any) -> Thread:
    thread = _thread(**kwargs)
    assert await storage.threads.create(thread)
    return thread


async def finish_success(storage: Storage, run: Run, values: dict[str, Any]) -> None:
    """End `run` as a success leaving its thread idle with `values`."""
    await storage.runs.finish(
        run.run_id,
        "success",
        thread_id=run.thread_id,
        thread_status="idle",
        values=values,
        interrupts={},
        error=None,
        update_values=True,
        at=now(),
    )
