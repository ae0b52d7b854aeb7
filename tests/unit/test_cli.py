"""interop.cli: `interop check` and the config errors `interop serve` reports before serving."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import orjson
import pytest

from interop.cli import main

GRAPH = textwrap.dedent(
    """
    from typing import TypedDict

    from langgraph.graph import END, START, StateGraph


    class State(TypedDict):
        x: int


    builder = StateGraph(State)
    builder.add_node("inc", lambda s: {"x": s["x"] + 1})
    builder.add_edge(START, "inc")
    builder.add_edge("inc", END)
    graph = builder.compile()
    """
)


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # No interop.json / langgraph.json in the working directory; sys.path changes stay local.
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delenv("INTEROP_DATABASE", raising=False)


def _config(directory: Path, graphs: dict[str, str]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "agent.py").write_text(GRAPH)
    path = directory / "langgraph.json"
    path.write_bytes(orjson.dumps({"graphs": graphs}))
    return path


def test_check_bundled_examples(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check"]) == 0
    out = capsys.readouterr().out
    listed = {line.split(":", 1)[0] for line in out.splitlines() if line.strip()}
    assert {"echo", "approval", "countdown"} <= listed


def test_check_a_good_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = _config(tmp_path / "project", {"mine": "./agent.py:graph"})
    assert main(["check", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "mine" in out
    assert "echo" not in out


def test_check_finds_langgraph_json_in_the_working_directory(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _config(Path.cwd(), {"local": "./agent.py:graph"})
    assert main(["check"]) == 0
    assert "local" in capsys.readouterr().out


def test_check_bad_attribute(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = _config(tmp_path / "project", {"mine": "./agent.py:no_such_attr"})
    assert main(["check", "--config", str(config)]) == 2
    captured = capsys.readouterr()
    assert "no_such_attr" in captured.err
    assert "agent.py" in captured.err


def test_check_bad_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = _config(tmp_path / "project", {"mine": "./missing_module.py:graph"})
    assert main(["check", "--config", str(config)]) == 2
    assert "missing_module.py" in capsys.readouterr().err


def test_check_missing_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nowhere" / "interop.json"
    assert main(["check", "--config", str(missing)]) == 2
    assert "interop.json" in capsys.readouterr().err


def test_check_bad_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "broken.json"
    config.write_text("{oops")
    assert main(["check", "--config", str(config)]) == 2
    assert "broken.json" in capsys.readouterr().err


def test_check_misspelt_key_exits_2_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "langgraph.json"
    config.write_text('{"graphs": {"echo": "interop.examples.echo:graph"}, "grpahs": {}}')
    assert main(["check", "--config", str(config)]) == 2
    assert "'grpahs'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("http", "names"),
    [
        ({"corss": {}}, "'corss'"),
        ({"app": "./missing.py:app"}, "http.app"),
        ({"app": "interop.examples.echo:graph"}, "http.app"),
    ],
)
def test_serve_with_a_bad_http_section_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], http: dict[str, object], names: str
) -> None:
    config = tmp_path / "langgraph.json"
    config.write_text(json.dumps({"graphs": {"echo": "interop.examples.echo:graph"}, "http": http}))
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    assert main(["serve", "--config", str(config), "--port", "0", "--database", db]) == 2
    assert names in capsys.readouterr().err


def test_serve_with_a_bad_config_exits_before_serving(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path / "project", {"mine": "./agent.py:nope_attr"})
    assert main(["serve", "--config", str(config), "--port", "0"]) == 2
    assert "nope_attr" in capsys.readouterr().err


def _serve_subprocess(
    tmp_path: Path, database: str | None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    flags = ["--database", database] if database is not None else []
    return subprocess.run(
        [sys.executable, "-m", "interop", "serve", "--port", "0", "--log-level", "error", *flags],
        cwd=tmp_path,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("INTEROP_")},
            **(env or {}),
        },
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    "database",
    [
        "mysql://localhost/x",  # a kind of database we do not support
        "localhost/x",
        "postgresql://user:secret@127.0.0.1:notaport/x",  # malformed
        "postgresql://user:secret@127.0.0.1:1/x",  # nothing listens on port 1
        "sqlite:///{tmp}/a-file/db.sqlite",  # the parent "directory" is a file
    ],
)
def test_serve_with_an_unusable_database_exits_2_with_one_line(
    tmp_path: Path, database: str
) -> None:
    (tmp_path / "a-file").write_text("not a directory")
    done = _serve_subprocess(tmp_path, database.format(tmp=tmp_path))
    assert done.returncode == 2
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("interop: "), done.stderr
    assert "secret" not in done.stderr


def test_serve_takes_the_database_from_the_environment(tmp_path: Path) -> None:
    done = _serve_subprocess(tmp_path, None, {"INTEROP_DATABASE": "mysql://localhost/x"})
    assert done.returncode == 2
    assert len(done.stderr.splitlines()) == 1, done.stderr


def test_usage_errors_exit_with_argparse_code(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["frobnicate"])
    assert info.value.code == 2


def test_no_command_prints_the_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    err = capsys.readouterr().err
    assert "serve" in err and "check" in err and "usage:" in err


@pytest.mark.parametrize(
    "argv",
    [
        ["serve", "--port", "99999"],
        ["serve", "--port", "-1"],
        ["serve", "--port", "http"],
        ["serve", "--workers-per-process", "0"],
        ["serve", "--max-body-bytes", "1"],
    ],
)
def test_out_of_range_flags_are_one_line_and_exit_2(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert argv[1] in err


def test_a_database_that_cannot_be_opened_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    url = f"sqlite:///{blocker}/db.sqlite"  # the parent is a file: no database can live there
    assert main(["serve", "--database", url, "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert [line for line in err.splitlines() if url in line]


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:6379/0",  # not a Redis URL
        "redis://127.0.0.1:notaport/0",  # malformed
        "redis://127.0.0.1:{port}/0",  # nothing answers
    ],
)
def test_serve_with_an_unusable_redis_exits_2_with_one_line(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    url = url.format(port=_closed_port())
    assert main(["serve", "--redis", url, "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert err.startswith("interop: --redis")
    assert "Traceback" not in err


def test_serve_reads_redis_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("INTEROP_REDIS", f"redis://127.0.0.1:{_closed_port()}/0")
    assert main(["serve", "--port", "0"]) == 2
    assert capsys.readouterr().err.startswith("interop: --redis")
