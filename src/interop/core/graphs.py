"""Agent loading: the `langgraph.json` config format, graphs by path, and their schemas.

A graph spec is `./file.py:attr` (relative to the config file) or `package.module:attr`.
`attr` may be a compiled graph, a StateGraph builder, a factory taking a config (sync or
async), or a plain `async def` agent, which is wrapped with LangGraph's functional API so
that interrupts, checkpoints and thread state work the same for every agent.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import orjson
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.func import entrypoint
from langgraph.graph.state import StateGraph
from langgraph.pregel import Pregel
from langgraph.store.base import BaseStore
from pydantic import TypeAdapter

from interop.core.errors import InvalidInput

log = logging.getLogger("interop.graphs")

# Top-level keys of the config file. Served: what interop reads.
_SERVED_KEYS = frozenset(
    {
        "$schema",
        "graphs",
        "env",
        "http",
        "a2a",
        "mcp",
        "toolkit",
        "store",
        "webhooks",
        "checkpointer",
        "auth",
    }
)
# The reference's keys about building a container image: nothing a running graph misses.
_BUILD_KEYS = frozenset(
    {
        "dependencies",
        "python_version",
        "node_version",
        "pip_config_file",
        "pip_installer",
        "dockerfile_lines",
        "base_image",
        "image_distro",
        "keep_pkg_tools",
        "api_version",
        "_INTERNAL_docker_tag",
    }
)
# The reference's keys interop does not serve yet, and what a graph misses meanwhile.
_UNSERVED_KEYS = {
    "encryption": "the custom encryption handler is not run: data is stored unencrypted",
    "ui": "generative UI components are not served",
}
BUNDLED_CONFIG = Path(__file__).resolve().parent.parent / "examples" / "langgraph.json"


class ConfigError(Exception):
    """The config file or one of its graph specs cannot be loaded; the message names which."""


Factory = Callable[[RunnableConfig], "Pregel[Any] | Awaitable[Pregel[Any]]"]


@dataclass(slots=True)
class GraphEntry:
    """One loaded graph. Either `graph` is set (static) or `factory` (built per run)."""

    graph_id: str
    spec: str
    graph: Pregel[Any] | None = None
    factory: Factory | None = None
    description: str | None = None
    _bound: dict[tuple[int, int], Pregel[Any]] = field(default_factory=dict)

    async def build(
        self,
        config: RunnableConfig,
        checkpointer: BaseCheckpointSaver[Any] | None,
        store: BaseStore | None = None,
    ) -> Pregel[Any]:
        """The graph to run with `checkpointer` and `store` attached. Static graphs are bound
        once per checkpointer and store and reused; factories are called with the run's config
        each time."""
        update = {"checkpointer": checkpointer, "store": store}
        if self.graph is not None:
            key = (id(checkpointer), id(store))
            bound = self._bound.get(key)
            if bound is None:
                bound = self.graph.copy(update=update)
                self._bound[key] = bound
            return bound
        assert self.factory is not None
        factory: Callable[..., Any] = self.factory
        made = factory(config) if _takes_argument(factory) else factory()
        if inspect.isawaitable(made):
            made = await made
        graph = _as_pregel(made, self.spec)
        return graph.copy(update=update)

    async def schema_graph(self) -> Pregel[Any]:
        """A graph instance to read structure and schemas from."""
        if self.graph is not None:
            return self.graph
        return await self.build(RunnableConfig(configurable={}), None)


@dataclass(slots=True)
class AgentConfig:
    """A parsed config file."""

    path: Path | None
    graphs: dict[str, str]
    raw: dict[str, Any]


def read_config(path: Path) -> AgentConfig:
    """Parse a config file in the `langgraph.json` format; apply its `env`.

    Raises ConfigError naming the file for a missing file, bad JSON or a bad `graphs` key.
    """
    try:
        raw = orjson.loads(path.read_bytes())
    except FileNotFoundError as exc:
        raise ConfigError(f"config file not found: {path}") from exc
    except orjson.JSONDecodeError as exc:
        raise ConfigError(f"{path}: not valid JSON ({exc})") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: the top level must be a JSON object")
    graphs = raw.get("graphs")
    if not isinstance(graphs, dict) or not graphs:
        raise ConfigError(f"{path}: `graphs` must be an object mapping names to 'file.py:attr'")
    for name, spec in graphs.items():
        if isinstance(spec, dict):  # the reference also allows {"path": ..., "description": ...}
            spec = spec.get("path")
        if not isinstance(spec, str) or ":" not in spec:
            raise ConfigError(
                f"{path}: graph {name!r}: expected 'path/to/file.py:attr', got {spec!r}"
            )
    _check_keys(raw, path)
    _apply_env(raw.get("env"), path)
    return AgentConfig(path=path, graphs=dict(graphs), raw=raw)


_TOLD: set[str] = set()


def _tell(level: int, message: str, *args: Any) -> None:
    """Log a notice about the config once per process (the file is read more than once)."""
    text = message % args
    if text not in _TOLD:
        _TOLD.add(text)
        log.log(level, message, *args)


def _check_keys(raw: dict[str, Any], path: Path) -> None:
    """A key nobody knows is a mistake (ConfigError naming it); a known key interop does not
    serve yet is a warning saying what the graphs miss."""
    known = _SERVED_KEYS | _BUILD_KEYS | set(_UNSERVED_KEYS)
    unknown = sorted(key for key in raw if key not in known)
    if unknown:
        raise ConfigError(
            f"{path}: unknown config key(s) {', '.join(map(repr, unknown))} "
            f"(known: {', '.join(sorted(known - {'_INTERNAL_docker_tag'}))})"
        )
    for key in sorted(set(raw) & set(_UNSERVED_KEYS)):
        _tell(
            logging.WARNING,
            "%s: %r is not served by interop yet: %s",
            path,
            key,
            _UNSERVED_KEYS[key],
        )
    build = sorted(set(raw) & _BUILD_KEYS)
    if build:
        _tell(
            logging.INFO,
            "%s: %s describe an image build; interop runs in this environment",
            path,
            ", ".join(build),
        )


def _apply_env(env: Any, config_path: Path) -> None:
    if env is None:
        return
    if isinstance(env, dict):
        os.environ.update({str(k): str(v) for k, v in env.items()})
        return
    if isinstance(env, str):
        from dotenv import dotenv_values

        env_path = (config_path.parent / env).resolve()
        if not env_path.is_file():
            # As the reference does: a missing env file sets nothing.
            _tell(
                logging.WARNING,
                "%s: env file %s not found; no variables loaded from it",
                config_path,
                env_path,
            )
            return
        values = dotenv_values(env_path)
        os.environ.update({k: v for k, v in values.items() if v is not None})
        return
    raise ConfigError(f"{config_path}: `env` must be a path to a .env file or an object")


def load_graphs(config: AgentConfig) -> dict[str, GraphEntry]:
    """Import every graph of `config`. Raises ConfigError naming the graph, file and attribute."""
    base = config.path.parent if config.path else Path.cwd()
    if str(base) not in sys.path:
        sys.path.insert(0, str(base))
    entries: dict[str, GraphEntry] = {}
    for graph_id, value in config.graphs.items():
        description = None
        spec = value
        if isinstance(value, dict):
            spec = value["path"]
            description = value.get("description")
        entries[graph_id] = _load_one(graph_id, spec, base, description)
    return entries


def _load_one(graph_id: str, spec: str, base: Path, description: str | None) -> GraphEntry:
    location, _, attr = spec.rpartition(":")
    module = import_location(f"graph {graph_id!r}", location, base)
    try:
        obj = getattr(module, attr)
    except AttributeError as exc:
        raise ConfigError(f"graph {graph_id!r}: {location} has no attribute {attr!r}") from exc
    entry = GraphEntry(graph_id=graph_id, spec=spec, description=description)
    if isinstance(obj, Pregel):
        entry.graph = obj
    elif isinstance(obj, StateGraph):
        entry.graph = obj.compile()
    elif callable(obj) and _is_factory(obj):
        entry.factory = cast(Factory, obj)
    elif inspect.iscoroutinefunction(obj):
        entry.graph = entrypoint()(obj)
    else:
        raise ConfigError(
            f"graph {graph_id!r}: {spec} is a {type(obj).__name__}; expected a compiled graph, "
            "a StateGraph, a factory taking a config, or an async function"
        )
    if entry.description is None:
        source = entry.graph if entry.graph is not None else obj
        doc = getattr(source, "description", None)
        if not isinstance(doc, str) and entry.graph is None:
            doc = inspect.getdoc(obj)
        entry.description = doc if isinstance(doc, str) else None
    return entry


def import_location(label: str, location: str, base: Path) -> Any:
    """Import `location`: a file path (relative to `base`) or a dotted module name. Raises
    ConfigError starting with `label` (what is being loaded) when that fails."""
    is_file = location.endswith(".py") or "/" in location or location.startswith(".")
    try:
        if not is_file:
            return importlib.import_module(location)
        file = (base / location).resolve()
        if not file.is_file():
            raise ConfigError(f"{label}: file not found: {file}")
        module_name = f"interop_user_{file.stem}_{abs(hash(str(file)))}"
        module_spec = importlib.util.spec_from_file_location(module_name, file)
        if module_spec is None or module_spec.loader is None:
            raise ConfigError(f"{label}: cannot import {file}")
        module = sys.modules.get(module_name)
        if module is not None:
            return module  # one file is one module, also when two config entries name it
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[module_name] = module
        try:
            module_spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[module_name]
            raise
        return module
    except ConfigError:
        raise
    except Exception as exc:  # the user's module failed to import: say which and why
        raise ConfigError(
            f"{label}: importing {location} failed: {type(exc).__name__}: {exc}"
        ) from exc


def _is_factory(obj: Callable[..., Any]) -> bool:
    """A factory takes no argument or a single `config` argument and returns a graph."""
    try:
        params = list(inspect.signature(obj).parameters.values())
    except (TypeError, ValueError):
        return False
    if not params:
        return True
    if len(params) != 1:
        return False
    param = params[0]
    annotation = param.annotation
    names = {"config", "runnable_config"}
    return param.name in names or annotation in (RunnableConfig, "RunnableConfig")


def _takes_argument(fn: Callable[..., Any]) -> bool:
    try:
        return bool(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return True


def _as_pregel(obj: Any, spec: str) -> Pregel[Any]:
    if isinstance(obj, Pregel):
        return obj
    if isinstance(obj, StateGraph):
        return obj.compile()
    raise InvalidInput(f"graph factory {spec} returned a {type(obj).__name__}, not a graph")


def graph_schemas(graph: Pregel[Any]) -> dict[str, Any]:
    """The JSON schemas of a graph's input, output, state, config and context."""
    schemas: dict[str, Any] = {}
    for key, make in (
        ("input_schema", graph.get_input_jsonschema),
        ("output_schema", graph.get_output_jsonschema),
        ("config_schema", graph.get_config_jsonschema),
        ("context_schema", graph.get_context_jsonschema),
    ):
        try:
            schemas[key] = make()
        except Exception:  # a schema that cannot be derived is reported as unknown
            log.debug("cannot derive %s", key, exc_info=True)
            schemas[key] = None
    schemas["state_schema"] = _state_schema(graph) or schemas["output_schema"]
    return schemas


def _state_schema(graph: Pregel[Any]) -> dict[str, Any] | None:
    builder = getattr(graph, "builder", None)
    state = getattr(builder, "state_schema", None) if builder is not None else None
    if state is None:
        return None
    try:
        return dict(TypeAdapter(state).json_schema())
    except Exception:  # some state types have no JSON schema
        log.debug("cannot derive the state schema", exc_info=True)
        return None
