"""Fallback load generator for machines without `wrk`: asyncio, raw keep-alive sockets.

`run_pyload` runs it in a child process (`python -m harness.pyload`, spec as JSON on stdin,
result as JSON on stdout) so that it does not share a GIL with the caller. One process of
Python tops out well below wrk, so against a fast server it measures itself, not the
server: prefer wrk for the ceiling.
"""

from __future__ import annotations

import asyncio
import base64
import json
import subprocess
import sys
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from .http1 import Origin, ProtocolError, Request, ResponseParser, encode_request
from .load import LoadResult, LoadSpec
from .stats import summarize

_BENCH_DIR = Path(__file__).resolve().parent.parent


def run_pyload(spec: LoadSpec) -> LoadResult:
    """One measured run of `spec` in a child process. Raises RuntimeError if it fails."""
    payload = {
        "base_url": spec.base_url,
        "connections": spec.connections,
        "duration": spec.duration,
        "timeout": spec.timeout,
        "requests": [
            {
                "method": r.method,
                "path": r.path,
                "headers": dict(r.headers),
                "body": base64.b64encode(r.body).decode(),
            }
            for r in spec.requests
        ],
    }
    proc = subprocess.run(
        [sys.executable, "-m", "harness.pyload"],
        cwd=_BENCH_DIR,
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=spec.duration + spec.timeout + 30,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"python load generator failed: {proc.stderr.strip()}")
    raw = json.loads(proc.stdout)
    return LoadResult(
        generator="python",
        connections=spec.connections,
        duration_s=raw["duration_s"],
        requests=raw["requests"],
        errors={k: v for k, v in raw["errors"].items() if v},
        latency=summarize(raw["latencies_ms"]),
    )


class _Counters:
    def __init__(self) -> None:
        self.requests = 0
        self.errors = {"connect": 0, "read": 0, "write": 0, "timeout": 0, "status": 0}
        self.latencies_ms: list[float] = []


async def _connection(
    origin: Origin, wires: list[bytes], first: int, deadline: float, limit: float, c: _Counters
) -> None:
    """One closed loop: send, read the whole response, repeat until `deadline`.

    Each connect and each response must finish within `limit` seconds.
    """
    index = first
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    while time.monotonic() < deadline:
        if writer is None:
            try:
                async with asyncio.timeout(limit):
                    reader, writer = await asyncio.open_connection(origin.host, origin.port)
            except (OSError, TimeoutError):
                c.errors["connect"] += 1
                await asyncio.sleep(0.01)
                continue
        assert reader is not None
        wire = wires[index % len(wires)]
        index += 1
        started = time.perf_counter()
        try:
            writer.write(wire)
            parser = ResponseParser()
            async with asyncio.timeout(limit):
                while not parser.complete:
                    data = await reader.read(65536)
                    if data:
                        parser.feed(data)
                    else:
                        parser.feed_eof()
        except TimeoutError:
            c.errors["timeout"] += 1
        except (OSError, ProtocolError):
            c.errors["read"] += 1
        else:
            c.requests += 1
            c.latencies_ms.append((time.perf_counter() - started) * 1000)
            if parser.status >= 400:
                c.errors["status"] += 1
            if parser.keep_alive:
                continue
        writer.close()
        writer = None
    if writer is not None:
        writer.close()


async def _main(payload: dict[str, Any]) -> dict[str, Any]:
    origin = Origin.parse(payload["base_url"])
    wires = [
        encode_request(
            origin,
            Request(r["method"], r["path"], base64.b64decode(r["body"]), r["headers"]),
        )
        for r in payload["requests"]
    ]
    counters = _Counters()
    connections = int(payload["connections"])
    stride = max(1, len(wires) // connections)
    started = time.monotonic()
    deadline = started + float(payload["duration"])
    await asyncio.gather(
        *(
            _connection(origin, wires, i * stride, deadline, float(payload["timeout"]), counters)
            for i in range(connections)
        )
    )
    return {
        "duration_s": time.monotonic() - started,
        "requests": counters.requests,
        "errors": counters.errors,
        "latencies_ms": counters.latencies_ms,
    }


def main() -> None:
    payload = json.loads(sys.stdin.read())
    run: Callable[[Coroutine[Any, Any, dict[str, Any]]], dict[str, Any]] = asyncio.run
    try:
        import uvloop  # optional: a faster event loop when installed

        run = uvloop.run
    except ImportError:
        pass
    json.dump(run(_main(payload)), sys.stdout)


if __name__ == "__main__":
    main()
