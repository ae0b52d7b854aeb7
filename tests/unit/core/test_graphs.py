"""interop.core.graphs: the `langgraph.json` config format and loading agents from it."""

from __future__ import annotations

import logging
import os
import sys
import textwrap
import uuid
from pathlib import Path
from typing import Any

import orjson
import pytest
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.pregel import Pregel

from interop.core.graphs import (
    BUNDLED_CONFIG,
    AgentConfig,
    ConfigError,
    GraphEntry,
    load_graphs,
    read_config,
)

# A small StateGraph module, written into tmp_path by the tests below.
GRAPH_MODULE = textwrap.dedent(
    """
    from typing import TypedDict

    from langgraph.graph import END, START, StateGraph


    class State(TypedDict, total=False):
        x: int
        seen: str


    def bump(state: State) -> dict:
        return {"x": state.get("x", 0) + 1}


    builder = StateGraph(State)
    builder.add_node("bump", bump)
    builder.add_edge(START, "bump")
    builder.add_edge("bump", END)
    graph = builder.compile()


    def make_graph(config):
        seen = config.get("configurable", {}).get("flavour", "none")

        def tag(state: State) -> dict:
            return {"x": state.get("x", 0) + 100, "seen": seen}

        b = StateGraph(State)
        b.add_node("tag", tag)
        b.add_edge(START, "tag")
        b.add_edge("tag", END)
        return b.compile()


    async def make_graph_async(config):
        return make_graph(config)


    def make_builder_no_args():
        return builder


    async def agent(inputs):
        return {"echo": inputs["text"].upper()}


    not_a_graph = 42
    """
)


@pytest.fixture(autouse=True)
def _restore_sys_path(monkeypatch: pytest.MonkeyPatch) -> None:
    # load_graphs puts the config directory on sys.path; keep that local to each test.
    monkeypatch.setattr(sys, "path", list(sys.path))


def _write_config(directory: Path, body: dict[str, Any] | bytes) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "langgraph.json"
    path.write_bytes(body if isinstance(body, bytes) else orjson.dumps(body))
    return path


def _graph_file(directory: Path, name: str = "agent.py") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(GRAPH_MODULE)
    return path


async def _invoke(entry: GraphEntry, value: Any, **configurable: Any) -> Any:
    config = RunnableConfig(configurable={"thread_id": str(uuid.uuid4()), **configurable})
    graph = await entry.build(config, InMemorySaver())
    assert isinstance(graph, Pregel)
    return await graph.ainvoke(value, config)


# -- read_config ---------------------------------------------------------------------------------


def test_read_config_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        read_config(tmp_path / "nope.json")


@pytest.mark.parametrize("body", [b"{not json", b"", b'{"graphs": {"a": "./a.py:g"}'])
def test_read_config_bad_json(tmp_path: Path, body: bytes) -> None:
    with pytest.raises(ConfigError):
        read_config(_write_config(tmp_path, body))


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"graphs": {}},
        {"graphs": []},
        {"graphs": "./a.py:graph"},
        {"dependencies": ["."]},
    ],
)
def test_read_config_missing_or_empty_graphs(tmp_path: Path, body: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        read_config(_write_config(tmp_path, body))


def test_read_config_top_level_not_an_object(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        read_config(_write_config(tmp_path, b'["graphs"]'))


@pytest.mark.parametrize(
    "spec",
    ["./agent.py", "agent", 42, None, ["./a.py:g"], {"description": "no path"}],
)
def test_read_config_bad_graph_spec(tmp_path: Path, spec: Any) -> None:
    with pytest.raises(ConfigError):
        read_config(_write_config(tmp_path, {"graphs": {"g": spec}}))


def test_read_config_accepts_spec_objects(tmp_path: Path) -> None:
    body = {"graphs": {"g": {"path": "./agent.py:graph", "description": "mine"}}}
    config = read_config(_write_config(tmp_path, body))
    assert config.graphs == body["graphs"]


def test_read_config_unserved_keys_warn_and_build_keys_do_not(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    body = {
        "graphs": {"g": "./agent.py:graph"},
        "dependencies": ["."],
        "python_version": "3.12",
        "dockerfile_lines": [],
        "ui": {"widget": "./ui.tsx"},
        "auth": {"path": "./auth.py:auth"},
    }
    with caplog.at_level(logging.WARNING, logger="interop.graphs"):
        config = read_config(_write_config(tmp_path, body))
    assert config.graphs == {"g": "./agent.py:graph"}
    warned = sorted(
        r.args[1]  # type: ignore[index]
        for r in caplog.records
        if r.name == "interop.graphs" and r.levelno == logging.WARNING
    )
    assert warned == ["ui"]  # `auth` and `store` are served


@pytest.mark.parametrize("key", ["graph", "enviroment", "htttp", "dependancies"])
def test_read_config_misspelt_key_is_an_error_naming_it(tmp_path: Path, key: str) -> None:
    body = {"graphs": {"g": "./agent.py:graph"}, key: {}}
    with pytest.raises(ConfigError, match=repr(key)):
        read_config(_write_config(tmp_path, body))


def test_read_config_known_keys_do_not_warn(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    body = {"graphs": {"g": "./agent.py:graph"}, "env": {}}
    with caplog.at_level(logging.WARNING, logger="interop.graphs"):
        read_config(_write_config(tmp_path, body))
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_env_dict_is_applied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # setenv first so that monkeypatch restores (removes) them after the test
    monkeypatch.setenv("INTEROP_TEST_ENV_A", "before")
    monkeypatch.setenv("INTEROP_TEST_ENV_N", "before")
    body = {
        "graphs": {"g": "./a.py:g"},
        "env": {"INTEROP_TEST_ENV_A": "alpha", "INTEROP_TEST_ENV_N": 3},
    }
    read_config(_write_config(tmp_path, body))
    assert os.environ["INTEROP_TEST_ENV_A"] == "alpha"
    assert os.environ["INTEROP_TEST_ENV_N"] == "3"


def test_env_file_is_applied_relative_to_the_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INTEROP_TEST_DOTENV", "before")
    project = tmp_path / "project"
    config_path = _write_config(project, {"graphs": {"g": "./a.py:g"}, "env": ".env"})
    (project / ".env").write_text("INTEROP_TEST_DOTENV=from-file\n")
    monkeypatch.chdir(tmp_path)  # not the config's directory
    read_config(config_path)
    assert os.environ["INTEROP_TEST_DOTENV"] == "from-file"


def test_env_file_missing_is_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = _write_config(tmp_path, {"graphs": {"g": "./a.py:g"}, "env": "missing.env"})
    with caplog.at_level(logging.WARNING, logger="interop.graphs"):
        config = read_config(path)
        read_config(path)  # the server reads its config more than once: told once
    assert config.graphs == {"g": "./a.py:g"}
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 1


def test_env_of_wrong_type(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        read_config(_write_config(tmp_path, {"graphs": {"g": "./a.py:g"}, "env": ["A=1"]}))


# -- load_graphs -----------------------------------------------------------------------------


def _load(tmp_path: Path, graphs: dict[str, Any]) -> dict[str, GraphEntry]:
    return load_graphs(read_config(_write_config(tmp_path, {"graphs": graphs})))


async def test_file_spec_is_relative_to_the_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    _graph_file(project / "agents")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    entries = _load(project, {"g": "./agents/agent.py:graph"})
    entry = entries["g"]
    assert entry.graph_id == "g"
    assert isinstance(entry.graph, Pregel)
    assert await _invoke(entry, {"x": 1}) == {"x": 2}


async def test_package_module_spec(tmp_path: Path) -> None:
    package = f"interop_test_pkg_{uuid.uuid4().hex}"
    (tmp_path / package).mkdir()
    (tmp_path / package / "__init__.py").write_text("")
    _graph_file(tmp_path / package, "graphs.py")
    entries = _load(tmp_path, {"g": f"{package}.graphs:graph"})
    assert await _invoke(entries["g"], {"x": 5}) == {"x": 6}


async def test_bundled_examples_load_by_module_path() -> None:
    entries = load_graphs(read_config(BUNDLED_CONFIG))
    assert set(entries) == {"echo", "approval", "countdown"}
    for entry in entries.values():
        assert isinstance(entry.graph, Pregel)
    result = await _invoke(entries["echo"], {"messages": [{"role": "user", "content": "hi you"}]})
    assert result["messages"][-1].content == "hi you"


async def test_state_graph_builder_is_compiled(tmp_path: Path) -> None:
    _graph_file(tmp_path)
    entry = _load(tmp_path, {"g": "./agent.py:builder"})["g"]
    assert isinstance(entry.graph, Pregel)
    assert await _invoke(entry, {"x": 0}) == {"x": 1}


async def test_factory_taking_config_is_called_per_run(tmp_path: Path) -> None:
    _graph_file(tmp_path)
    entry = _load(tmp_path, {"g": "./agent.py:make_graph"})["g"]
    assert entry.graph is None
    assert entry.factory is not None
    assert await _invoke(entry, {"x": 1}, flavour="salty") == {"x": 101, "seen": "salty"}
    assert await _invoke(entry, {"x": 1}, flavour="sweet") == {"x": 101, "seen": "sweet"}


async def test_async_factory(tmp_path: Path) -> None:
    _graph_file(tmp_path)
    entry = _load(tmp_path, {"g": "./agent.py:make_graph_async"})["g"]
    assert await _invoke(entry, {"x": 2}, flavour="async") == {"x": 102, "seen": "async"}


async def test_factory_without_arguments_returning_a_builder(tmp_path: Path) -> None:
    _graph_file(tmp_path)
    entry = _load(tmp_path, {"g": "./agent.py:make_builder_no_args"})["g"]
    assert await _invoke(entry, {"x": 7}) == {"x": 8}


async def test_factory_graph_gets_the_checkpointer(tmp_path: Path) -> None:
    _graph_file(tmp_path)
    entry = _load(tmp_path, {"g": "./agent.py:make_graph"})["g"]
    saver = InMemorySaver()
    config = RunnableConfig(configurable={"thread_id": "t1"})
    graph = await entry.build(config, saver)
    await graph.ainvoke({"x": 0}, config)
    assert await saver.aget_tuple(config) is not None


async def test_static_graph_bound_to_the_checkpointer(tmp_path: Path) -> None:
    _graph_file(tmp_path)
    entry = _load(tmp_path, {"g": "./agent.py:graph"})["g"]
    saver = InMemorySaver()
    config = RunnableConfig(configurable={"thread_id": "t1"})
    graph = await entry.build(config, saver)
    assert graph is await entry.build(config, saver)  # bound once per checkpointer
    await graph.ainvoke({"x": 0}, config)
    snapshot = await graph.aget_state(config)
    assert snapshot.values == {"x": 1}


async def test_plain_async_function_is_wrapped_and_runs(tmp_path: Path) -> None:
    _graph_file(tmp_path)
    entry = _load(tmp_path, {"g": "./agent.py:agent"})["g"]
    assert isinstance(entry.graph, Pregel)
    assert await _invoke(entry, {"text": "shout"}) == {"echo": "SHOUT"}


async def test_plain_async_function_keeps_thread_state(tmp_path: Path) -> None:
    _graph_file(tmp_path)
    entry = _load(tmp_path, {"g": "./agent.py:agent"})["g"]
    saver = InMemorySaver()
    config = RunnableConfig(configurable={"thread_id": "t1"})
    graph = await entry.build(config, saver)
    await graph.ainvoke({"text": "a"}, config)
    assert await saver.aget_tuple(config) is not None


def test_spec_object_with_description(tmp_path: Path) -> None:
    _graph_file(tmp_path)
    entry = _load(tmp_path, {"g": {"path": "./agent.py:graph", "description": "mine"}})["g"]
    assert entry.description == "mine"


def test_missing_attribute_names_it(tmp_path: Path) -> None:
    _graph_file(tmp_path)
    with pytest.raises(ConfigError) as info:
        _load(tmp_path, {"g": "./agent.py:no_such_graph"})
    assert "no_such_graph" in str(info.value)


def test_missing_file_names_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        _load(tmp_path, {"g": "./missing_agent.py:graph"})
    assert "missing_agent.py" in str(info.value)


def test_missing_module(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        _load(tmp_path, {"g": f"no_such_pkg_{uuid.uuid4().hex}.mod:graph"})


def test_module_that_fails_to_import(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("raise RuntimeError('at import')\n")
    with pytest.raises(ConfigError):
        _load(tmp_path, {"g": "./broken.py:graph"})


def test_module_with_syntax_error(tmp_path: Path) -> None:
    (tmp_path / "syntax.py").write_text("def (:\n")
    with pytest.raises(ConfigError):
        _load(tmp_path, {"g": "./syntax.py:graph"})


@pytest.mark.parametrize("attr", ["not_a_graph", "State"])
def test_attribute_of_the_wrong_kind(tmp_path: Path, attr: str) -> None:
    _graph_file(tmp_path)
    with pytest.raises(ConfigError) as info:
        _load(tmp_path, {"g": f"./agent.py:{attr}"})
    assert attr in str(info.value)


def test_load_graphs_without_a_config_path_uses_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _graph_file(tmp_path)
    monkeypatch.chdir(tmp_path)
    config = AgentConfig(path=None, graphs={"g": "./agent.py:graph"}, raw={})
    assert isinstance(load_graphs(config)["g"].graph, Pregel)
