"""Drive `wrk` with a Lua script generated per run, and read back its summary as JSON.

A single request is set as wrk's static request (its fastest path); several are
pre-formatted once per wrk thread and sent round-robin, each thread starting at a different
offset so that concurrent connections are spread over the list.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import tempfile
from pathlib import Path

from .http1 import Origin, Request
from .load import LoadResult, LoadSpec
from .stats import Summary

_MARKER = "BENCH_JSON "

_DONE = """
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "\\n%s{\\"requests\\":%d,\\"duration_us\\":%d,\\"connect\\":%d,\\"read\\":%d,"
    .. "\\"write\\":%d,\\"status\\":%d,\\"timeout\\":%d,\\"p50\\":%d,\\"p90\\":%d,"
    .. "\\"p99\\":%d,\\"max\\":%d,\\"mean\\":%.1f}\\n",
    "MARKER", summary.requests, summary.duration, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean))
end
""".replace("MARKER", _MARKER)


def lua_string(value: str | bytes) -> str:
    """A Lua string literal for arbitrary bytes (printable ASCII kept, the rest as \\ddd)."""
    raw = value.encode() if isinstance(value, str) else value
    out = []
    for byte in raw:
        char = chr(byte)
        if 32 <= byte < 127 and char not in '"\\':
            out.append(char)
        else:
            out.append(f"\\{byte:03d}")
    return '"' + "".join(out) + '"'


def _lua_headers(request: Request) -> str:
    pairs = [f"[{lua_string(k)}] = {lua_string(v)}" for k, v in request.headers.items()]
    return "{" + ", ".join(pairs) + "}"


def build_script(origin: Origin, requests: tuple[Request, ...], threads: int) -> str:
    """The Lua script for one run: request selection plus a `done` that prints JSON."""
    if len(requests) == 1:
        only = requests[0]
        lines = [
            f"wrk.method = {lua_string(only.method)}",
            f"wrk.path = {lua_string(origin.prefix + only.path)}",
            f"wrk.body = {lua_string(only.body)}",
            f"for k, v in pairs({_lua_headers(only)}) do wrk.headers[k] = v end",
        ]
        return "\n".join(lines) + "\n" + _DONE
    specs = ",\n".join(
        f"  {{{lua_string(r.method)}, {lua_string(origin.prefix + r.path)}, "
        f"{_lua_headers(r)}, {lua_string(r.body)}}}"
        for r in requests
    )
    return (
        f"local specs = {{\n{specs}\n}}\n"
        "local formatted = {}\n"
        "local counter = 0\n"
        "local next_offset = 0\n"
        "function setup(thread)\n"
        "  thread:set('offset', next_offset)\n"
        f"  next_offset = next_offset + {max(1, len(requests) // threads)}\n"
        "end\n"
        "function init(args)\n"
        "  for i, s in ipairs(specs) do formatted[i] = wrk.format(s[1], s[2], s[3], s[4]) end\n"
        "  counter = offset or 0\n"
        "end\n"
        "function request()\n"
        "  counter = counter + 1\n"
        "  return formatted[(counter % #formatted) + 1]\n"
        "end\n" + _DONE
    )


def wrk_threads(connections: int) -> int:
    """wrk threads: half the cores (the other half serve), at most the connection count."""
    override = os.environ.get("BENCH_WRK_THREADS")
    if override:
        return max(1, min(int(override), connections))
    return max(1, min(connections, (os.cpu_count() or 2) // 2))


def run_wrk(spec: LoadSpec) -> LoadResult:
    """One wrk run of `spec` (no warm-up here). Raises RuntimeError if wrk fails."""
    origin = Origin.parse(spec.base_url)
    seconds = max(1, math.ceil(spec.duration))  # wrk takes whole seconds
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as tmp:
        script = Path(tmp) / "load.lua"
        threads = wrk_threads(spec.connections)
        script.write_text(build_script(origin, spec.requests, threads))
        argv = [
            "wrk",
            f"-t{threads}",
            f"-c{spec.connections}",
            f"-d{seconds}s",
            f"--timeout={max(1, math.ceil(spec.timeout))}s",
            "-s",
            str(script),
            origin.url("/"),
        ]
        proc = subprocess.run(
            argv, capture_output=True, text=True, timeout=seconds + spec.timeout + 30, check=False
        )
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith(_MARKER)), None)
    if proc.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({proc.returncode}): {proc.stderr.strip() or proc.stdout}")
    raw = json.loads(line[len(_MARKER) :])
    errors = {k: int(raw[k]) for k in ("connect", "read", "write", "timeout", "status") if raw[k]}
    return LoadResult(
        generator="wrk",
        connections=spec.connections,
        duration_s=raw["duration_us"] / 1e6,
        requests=int(raw["requests"]),
        errors=errors,
        latency=Summary(
            count=int(raw["requests"]),
            p50=raw["p50"] / 1000,
            p90=raw["p90"] / 1000,
            p99=raw["p99"] / 1000,
            max=raw["max"] / 1000,
            mean=raw["mean"] / 1000,
        ),
    )
