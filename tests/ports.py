"""Ports chosen before their server starts: an SMTP server a test starts (or leaves unstarted,
so that nothing listens), a ``bridge serve`` process told its own address as issuer.

A port from ``bind(("127.0.0.1", 0))`` comes from the kernel's ephemeral range (32768-60999 on
Linux), where every other socket of the machine lands too: the other xdist worker's live
bridges, every outgoing connection. Between choosing such a port and binding it, one of them may
take it. So each worker draws from a block of its own below that range (worker ``gwN``: 20000 +
1000·N), where nothing binds unless asked to, at a random place in the block (other test runs on
the machine use the same blocks), never handing out a port twice, and only a port that binds
now."""

from __future__ import annotations

import os
import random
import socket

FIRST = 20_000
BLOCK = 1_000
#: Blocks below the ephemeral range: 20000-31999.
BLOCKS = 12

_handed_out: set[int] = set()


def worker_index() -> int:
    """0 for ``gw0`` (and for a run without xdist), 1 for ``gw1``, ..."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return int(worker.removeprefix("gw") or 0)


def unused_port() -> int:
    """A port of this worker's block on 127.0.0.1 that nothing listens on, not handed out
    before in this process."""
    start = FIRST + BLOCK * (worker_index() % BLOCKS)
    candidates = [port for port in range(start, start + BLOCK) if port not in _handed_out]
    random.SystemRandom().shuffle(candidates)  # whatever a test did to ``random``'s seed
    for port in candidates:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    raise AssertionError(f"no free port in {start}-{start + BLOCK - 1}")
