"""Start a server in a subprocess on a free loopback port and wait until it answers HTTP.

`ServerProcess` owns its process group: stopping it sends SIGTERM, waits, then SIGKILLs,
so nothing it started outlives the benchmark. Its output goes to a log file whose tail is
shown when the server fails to come up.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from .http1 import ProtocolError, Request, request_once
from .rss import pids_listening_on

LOOPBACK = "127.0.0.1"


class ServerError(Exception):
    """A server did not start, or stopped answering."""


def free_port(host: str = LOOPBACK) -> int:
    """A TCP port that was free on `host` a moment ago (bind to port 0 and release it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def wait_until_answers(
    base_url: str,
    path: str,
    timeout: float,
    process: subprocess.Popen[bytes] | None = None,
) -> None:
    """Poll GET `path` until the server answers below 500; ServerError on timeout or exit."""
    deadline = time.monotonic() + timeout
    last_error = "no answer"
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise ServerError(f"server exited with code {process.returncode} before answering")
        try:
            status, _ = request_once(base_url, Request("GET", path), timeout=2.0)
        except (OSError, ProtocolError) as exc:
            last_error = repr(exc)
        else:
            if status < 500:
                return
            last_error = f"HTTP {status}"
        time.sleep(0.05)
    raise ServerError(f"{base_url}{path} did not answer within {timeout} s ({last_error})")


class ServerProcess:
    """A server subprocess listening on `port`; use as a context manager."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        port: int,
        log_path: Path,
        ready_path: str = "/",
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
        start_timeout: float = 60.0,
        host: str = LOOPBACK,
    ) -> None:
        self.argv = list(argv)
        self.port = port
        self.host = host
        self.log_path = log_path
        self.ready_path = ready_path
        self.cwd = cwd
        self.env = dict(os.environ if env is None else env)
        self.start_timeout = start_timeout
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def pids(self) -> list[int]:
        """The processes listening on the port (the server proper), else the started one."""
        listening = pids_listening_on(self.port)
        if listening:
            return listening
        return [self._process.pid] if self._process is not None else []

    def __enter__(self) -> ServerProcess:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        """Start the process and return once it answers; ServerError (with its log) otherwise."""
        with self.log_path.open("wb") as log:
            self._process = subprocess.Popen(
                self.argv,
                cwd=self.cwd,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            wait_until_answers(self.base_url, self.ready_path, self.start_timeout, self._process)
        except ServerError as exc:
            self.stop()
            raise ServerError(f"{exc}\n--- {self.log_path} (tail) ---\n{self.log_tail()}") from exc

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM the process group, wait up to `timeout`, then SIGKILL it."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        self._signal_group(process, signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            self._signal_group(process, signal.SIGKILL)
            process.wait(timeout)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    @staticmethod
    def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
        # start_new_session made the child its own group leader: this reaches its children too.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
