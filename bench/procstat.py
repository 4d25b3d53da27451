"""What the kernel says about a server's processes: CPU time and memory from ``/proc``.

The benches read the server's CPU here rather than time it from outside: on a machine whose
cores the load generator shares, wall time mixes both, while ``utime + stime`` of the server's
own processes is what serving cost.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of ``pid`` so far (``/proc/<pid>/stat``, every thread)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def children(pid: int) -> list[int]:
    """The direct children of ``pid`` (gunicorn's workers of its master)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


def tree_cpu(pid: int) -> float:
    """CPU seconds of ``pid`` and its live children (a gunicorn master and its workers)."""
    return process_cpu(pid) + sum(process_cpu(child) for child in children(pid))


@dataclass(frozen=True)
class Memory:
    """A process's memory in MiB: ``rss`` counts every page it maps, shared or not; ``pss``
    shares each shared page among the processes that map it; ``uss`` is what only this
    process holds (what ending it would free)."""

    rss: float
    pss: float
    uss: float


def memory(pid: int) -> Memory:
    """``/proc/<pid>/smaps_rollup`` (Linux 4.14 and later), in MiB."""
    kib: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, _, rest = line.partition(":")
        kib[name] = int(rest.split()[0])
    uss = kib["Private_Clean"] + kib["Private_Dirty"]
    return Memory(kib["Rss"] / 1024, kib["Pss"] / 1024, uss / 1024)
