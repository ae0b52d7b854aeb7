"""The SQLite one-server lock: shared within a process, exclusive across processes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from interop.storage import open_storage

_CLAIM = (
    "import sys\n"
    "from interop.storage import claim_database\n"
    "from interop.storage.sqlite.lock import DatabaseInUse\n"
    "try:\n"
    "    claim_database(sys.argv[1])\n"
    "except DatabaseInUse:\n"
    "    sys.exit(3)\n"
)


def _other_process_claims(url: str) -> int:
    done = subprocess.run([sys.executable, "-c", _CLAIM, url], timeout=60, check=False)
    return done.returncode


async def test_lock_is_exclusive_across_processes_and_shared_within_one(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    first = await open_storage(url)
    second = await open_storage(url)  # the same process may open it again
    try:
        assert _other_process_claims(url) == 3
        await first.close()
        assert _other_process_claims(url) == 3  # still held by `second`
    finally:
        await second.close()
    assert _other_process_claims(url) == 0
    assert (tmp_path / "db.sqlite.lock").exists()


async def test_memory_databases_take_no_lock() -> None:
    storage = await open_storage("sqlite:///:memory:")
    await storage.close()
    assert _other_process_claims("sqlite:///:memory:") == 0
