"""Resident memory of a server process, read from /proc (Linux only).

`VmRSS` is the resident set now; `VmHWM` is its high-water mark since the process started,
so reading it once at the end of a run gives the peak without sampling.
"""

from __future__ import annotations

import os
from pathlib import Path

_LISTEN = "0A"  # TCP_LISTEN in /proc/net/tcp's `st` column


def status_kib(pid: int, field: str) -> int | None:
    """A `kB` field of /proc/<pid>/status (e.g. VmRSS, VmHWM), or None if unreadable."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        name, _, value = line.partition(":")
        if name == field:
            return int(value.split()[0])
    return None


def rss_mb(pids: list[int]) -> float | None:
    """Current resident set of the processes together, in MB (10^6 bytes); None if unreadable."""
    return _sum_mb(pids, "VmRSS")


def peak_rss_mb(pids: list[int]) -> float | None:
    """Sum of the processes' peak resident sets (VmHWM), in MB; None if unreadable.

    For one process this is its exact peak; for several it is an upper bound of their joint peak.
    """
    return _sum_mb(pids, "VmHWM")


def _sum_mb(pids: list[int], field: str) -> float | None:
    values = [v for v in (status_kib(pid, field) for pid in pids) if v is not None]
    return sum(values) * 1024 / 1e6 if values else None


def pids_listening_on(port: int) -> list[int]:
    """Processes holding a listening TCP socket on `port` (any address), as far as /proc shows.

    Only processes whose /proc/<pid>/fd this user may read are found.
    """
    inodes = _listening_inodes(port)
    if not inodes:
        return []
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            links = [os.readlink(fd) for fd in (entry / "fd").iterdir()]
        except OSError:
            continue
        if any(link.startswith("socket:[") and link[8:-1] in inodes for link in links):
            found.append(int(entry.name))
    return sorted(found)


def _listening_inodes(port: int) -> set[str]:
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            cols = row.split()
            local, state, inode = cols[1], cols[3], cols[9]
            if state == _LISTEN and int(local.rsplit(":", 1)[1], 16) == port:
                inodes.add(inode)
    return inodes
