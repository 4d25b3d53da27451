"""The in-process store serves one process: a second process serving the same data directory with it
would split every login between two memories ("Please sign in again" at random), so it refuses.

The claim is a POSIX record lock (``lockf``) on a file in the data directory: held by this process
for its life, released by the kernel when it exits (even when killed), and free to claim again from
the same process (tests build many apps). Not detected: a server that builds the app once and forks
workers from it (gunicorn ``--preload``); the deployment docs say to use Redis there.
"""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path

from bridge.config.errors import SettingsError

__all__ = ["LOCK_NAME", "claim_single_process"]

LOCK_NAME = "ephemeral-memory.lock"

_held: dict[Path, int] = {}  # the process's claims: closing any descriptor would drop the lock
_guard = threading.Lock()


def claim_single_process(data_dir: Path) -> None:
    """Claim ``data_dir`` for this process's in-process store, or raise ``SettingsError``."""
    path = (data_dir / LOCK_NAME).resolve()
    with _guard:
        if path in _held:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise SettingsError(
                f"ephemeral.backend: 'memory' serves one process only, and another process "
                f"already serves {data_dir} with it. To run several processes (gunicorn workers, "
                f"more than one host), set ephemeral.backend: redis and ephemeral.redis_url "
                f"(BRIDGE_EPHEMERAL__BACKEND=redis, BRIDGE_EPHEMERAL__REDIS_URL=redis://...)."
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        _held[path] = fd
