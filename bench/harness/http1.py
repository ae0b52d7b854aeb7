"""A minimal HTTP/1.1 client core: request encoding and an incremental response parser.

Sans-I/O so that the blocking single-client measurements (`sse.py`) and the asyncio
fallback load generator (`pyload.py`) share one parser. It supports what the servers under
test send: `Content-Length`, `Transfer-Encoding: chunked` and read-until-close bodies.
It is deliberately not a general client (no redirects, no TLS, no 1xx handling).
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit


class ProtocolError(Exception):
    """The peer sent something that is not a well-formed HTTP/1.1 response."""


@dataclass(frozen=True)
class Request:
    """One HTTP request of a workload; `path` is joined to the base URL's path."""

    method: str
    path: str
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)


def json_request(method: str, path: str, body: bytes) -> Request:
    """A request with a JSON body (the body is passed already encoded)."""
    return Request(method, path, body, {"Content-Type": "application/json"})


@dataclass(frozen=True)
class Origin:
    """Where a base URL points: host, port and a path prefix without a trailing slash."""

    host: str
    port: int
    prefix: str

    @classmethod
    def parse(cls, base_url: str) -> Origin:
        """Parse `http://host:port[/prefix]`; raises ValueError for anything else."""
        parts = urlsplit(base_url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"only plain http:// URLs are supported: {base_url!r}")
        return cls(parts.hostname, parts.port or 80, parts.path.rstrip("/"))

    @property
    def host_header(self) -> str:
        return f"{self.host}:{self.port}"

    def url(self, path: str = "") -> str:
        return f"http://{self.host_header}{self.prefix}{path}"


def encode_request(origin: Origin, request: Request) -> bytes:
    """Serialise a keep-alive request, with `Content-Length` whenever there is a body."""
    lines = [
        f"{request.method} {origin.prefix}{request.path} HTTP/1.1",
        f"Host: {origin.host_header}",
    ]
    lines.extend(f"{name}: {value}" for name, value in request.headers.items())
    if request.body or request.method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(request.body)}")
    head = "\r\n".join(lines) + "\r\n\r\n"
    return head.encode("latin-1") + request.body


_HEAD, _LENGTH, _CHUNK_SIZE, _CHUNK_DATA, _CHUNK_END, _TRAILER, _UNTIL_CLOSE, _DONE = range(8)


class ResponseParser:
    """Incremental parser for one response; feed it bytes, it returns decoded body pieces.

    After `complete` is true, `leftover` holds bytes that followed the response (there are
    none unless the peer pipelines, which the servers under test do not).
    """

    def __init__(self) -> None:
        self._buf = bytearray()
        self._state = _HEAD
        self._remaining = 0
        self.status = 0
        self.headers: dict[str, str] = {}
        self.leftover = b""

    @property
    def complete(self) -> bool:
        return self._state == _DONE

    @property
    def keep_alive(self) -> bool:
        return self.headers.get("connection", "").lower() != "close"

    def feed(self, data: bytes) -> list[bytes]:
        """Consume `data`; return the body bytes it completed. Raises ProtocolError."""
        self._buf += data
        pieces: list[bytes] = []
        while self._step(pieces):
            pass
        if self._state == _DONE:
            self.leftover = bytes(self._buf)
            self._buf.clear()
        return pieces

    def feed_eof(self) -> list[bytes]:
        """The peer closed; completes a read-until-close body, else raises ProtocolError."""
        if self._state == _UNTIL_CLOSE:
            self._state = _DONE
            return []
        if self._state != _DONE:
            raise ProtocolError("connection closed before the response was complete")
        return []

    def _step(self, pieces: list[bytes]) -> bool:
        """Advance one state if the buffer allows it; return whether progress was made."""
        state = self._state
        if state == _HEAD:
            return self._parse_head()
        if state in (_LENGTH, _CHUNK_DATA):
            return self._take_body(pieces)
        if state == _CHUNK_SIZE:
            return self._parse_chunk_size()
        if state == _CHUNK_END:
            return self._expect_crlf()
        if state == _TRAILER:
            return self._skip_trailer()
        if state == _UNTIL_CLOSE and self._buf:
            pieces.append(bytes(self._buf))
            self._buf.clear()
        return False

    def _parse_head(self) -> bool:
        end = self._buf.find(b"\r\n\r\n")
        if end < 0:
            return False
        head = bytes(self._buf[:end]).decode("latin-1").split("\r\n")
        del self._buf[: end + 4]
        status_line = head[0].split(" ", 2)
        if len(status_line) < 2 or not status_line[0].startswith("HTTP/1."):
            raise ProtocolError(f"bad status line: {head[0]!r}")
        self.status = int(status_line[1])
        for line in head[1:]:
            name, _, value = line.partition(":")
            self.headers[name.strip().lower()] = value.strip()
        if "chunked" in self.headers.get("transfer-encoding", "").lower():
            self._state = _CHUNK_SIZE
        elif "content-length" in self.headers:
            self._remaining = int(self.headers["content-length"])
            self._state = _LENGTH if self._remaining else _DONE
        elif self.status in (204, 304) or 100 <= self.status < 200:
            self._state = _DONE
        else:
            self._state = _UNTIL_CLOSE
        return True

    def _take_body(self, pieces: list[bytes]) -> bool:
        if not self._buf:
            return False
        piece = bytes(self._buf[: self._remaining])
        del self._buf[: len(piece)]
        self._remaining -= len(piece)
        pieces.append(piece)
        if self._remaining == 0:
            self._state = _DONE if self._state == _LENGTH else _CHUNK_END
        return True

    def _parse_chunk_size(self) -> bool:
        end = self._buf.find(b"\r\n")
        if end < 0:
            return False
        size_text = bytes(self._buf[:end]).split(b";", 1)[0].strip()
        del self._buf[: end + 2]
        try:
            self._remaining = int(size_text, 16)
        except ValueError as exc:
            raise ProtocolError(f"bad chunk size: {size_text!r}") from exc
        self._state = _CHUNK_DATA if self._remaining else _TRAILER
        return True

    def _expect_crlf(self) -> bool:
        if len(self._buf) < 2:
            return False
        if self._buf[:2] != b"\r\n":
            raise ProtocolError("chunk not followed by CRLF")
        del self._buf[:2]
        self._state = _CHUNK_SIZE
        return True

    def _skip_trailer(self) -> bool:
        end = self._buf.find(b"\r\n")
        if end < 0:
            return False
        del self._buf[: end + 2]
        if end == 0:
            self._state = _DONE
        return True


class Connection:
    """A blocking keep-alive connection for one sequential client; reconnects when needed."""

    def __init__(self, origin: Origin, timeout: float) -> None:
        self._origin = origin
        self._timeout = timeout
        self._sock: socket.socket | None = None

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def exchange(
        self, request: Request, on_body: Callable[[bytes], None] | None = None
    ) -> ResponseParser:
        """Send `request`, read the whole response, and return its parser.

        `on_body` is called with each body piece as soon as it is read. The response must end
        within the connection's timeout (TimeoutError) and be well formed (ProtocolError).
        """
        deadline = time.monotonic() + self._timeout
        sock = self._connected()
        try:
            sock.sendall(encode_request(self._origin, request))
            parser = ResponseParser()
            while not parser.complete:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"response took longer than {self._timeout} s")
                data = sock.recv(65536)
                pieces = parser.feed(data) if data else parser.feed_eof()
                if on_body is not None:
                    for piece in pieces:
                        on_body(piece)
        except BaseException:
            self.close()
            raise
        if not parser.keep_alive:
            self.close()
        return parser

    def fetch(self, request: Request) -> tuple[int, bytes]:
        """Send `request` and return (status, whole body)."""
        body = bytearray()
        parser = self.exchange(request, body.extend)
        return parser.status, bytes(body)

    def _connected(self) -> socket.socket:
        if self._sock is None:
            sock = socket.create_connection((self._origin.host, self._origin.port), self._timeout)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._sock = sock
        return self._sock


def request_once(base_url: str, request: Request, timeout: float = 5.0) -> tuple[int, bytes]:
    """One request on a fresh connection: (status, body). Raises OSError or ProtocolError."""
    with Connection(Origin.parse(base_url), timeout) as conn:
        return conn.fetch(request)
