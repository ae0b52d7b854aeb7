"""The record rules the services own (the stores only store): assistant versions and field
merging, thread metadata merging, timestamps, sort keys."""

from __future__ import annotations

import pytest

from interop.core import assistants as assistant_rules
from interop.core import threads as thread_rules
from interop.core.assistants import AssistantService
from interop.core.errors import NotFound
from interop.core.graphs import BUNDLED_CONFIG, load_graphs, read_config
from interop.core.ids import new_id
from interop.core.storage import Storage
from interop.core.threads import ThreadService


class _NoRuns:
    async def cancel_thread_runs(self, thread_id: str) -> None:
        return None


@pytest.fixture
def assistants(storage: Storage) -> AssistantService:
    return AssistantService(storage, load_graphs(read_config(BUNDLED_CONFIG)))


async def test_assistant_update_merges_fields_into_a_new_version(
    assistants: AssistantService,
) -> None:
    first = await assistants.create(
        graph_id="echo",
        config={"configurable": {"k": 1}},
        metadata={"keep": 1, "change": "old"},
        name="v1",
        description="d",
    )
    v2 = await assistants.update(
        first.assistant_id, {"name": "v2", "metadata": {"change": "new"}, "config": None}
    )
    assert v2.version == 2
    assert v2.name == "v2"
    assert v2.metadata == {"keep": 1, "change": "new"}
    assert v2.config == {"configurable": {"k": 1}}  # None: unchanged
    assert v2.description == "d"  # absent: unchanged
    assert v2.created_at == first.created_at and v2.updated_at >= first.updated_at
    v3 = await assistants.update(first.assistant_id, {"description": None})
    assert v3.version == 3 and v3.description is None and v3.name == "v2"
    back = await assistants.set_latest(first.assistant_id, 1)
    assert back.version == 1 and back.name == "v1" and back.updated_at >= v3.updated_at
    assert (await assistants.update(first.assistant_id, {})).version == 4
    with pytest.raises(NotFound):
        await assistants.set_latest(first.assistant_id, 99)


async def test_thread_update_merges_metadata_shallowly(
    storage: Storage, assistants: AssistantService
) -> None:
    threads = ThreadService(storage, assistants, _NoRuns())
    thread = await threads.create(metadata={"gone": 1, "cfg": {"a": 1}, "keep": True})
    updated = await threads.update(thread.thread_id, {"gone": None, "cfg": {"b": 2}})
    assert updated.metadata == {"gone": None, "cfg": {"b": 2}, "keep": True}
    assert updated.updated_at >= thread.updated_at
    assert (await threads.get(thread.thread_id)).metadata == updated.metadata
    with pytest.raises(NotFound):
        await threads.update(new_id(), {"a": 1})


@pytest.mark.parametrize(
    ("rules", "column"),
    [(assistant_rules, "name"), (thread_rules, "status")],
)
def test_sort_keys_fall_back_to_created_at(rules: object, column: str) -> None:
    sort_key = rules.sort_key  # type: ignore[attr-defined]
    assert sort_key(column) == column
    assert sort_key(None) == "created_at"
    assert sort_key("name; DROP TABLE assistants") == "created_at"
