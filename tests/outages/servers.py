"""Throwaway Redis and PostgreSQL servers that a test may kill, stop (SIGSTOP) and resume.

The machine's shared services on the standard ports are never touched: each server here runs
on a free loopback port, keeps its data in the test's temporary folder, and is signalled by
the process ids it started.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable
from glob import glob
from pathlib import Path

import redis

from tests.ports import unused_port


def _wait_for(check: Callable[[], object], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():
                return
        except Exception:  # not up yet
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not come up within {timeout} s")
        time.sleep(0.05)


class ThrowawayRedis:
    """A ``redis-server`` of the test's own. Its data is written to an append-only file on
    every command, so a killed server restarts with what it held (a crash, not a flush)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = unused_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self._process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--dir",
                str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5, socket_timeout=0.5)
        try:
            _wait_for(client.ping, f"redis-server on port {self.port}")
        finally:
            client.close()

    def kill(self) -> None:
        """SIGKILL: the server is gone, connections are refused until ``start``."""
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            self._process = None

    def pause(self) -> None:
        """SIGSTOP: the server holds its connections and answers nothing (a hung server)."""
        assert self._process is not None
        os.kill(self._process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        assert self._process is not None
        os.kill(self._process.pid, signal.SIGCONT)

    def close(self) -> None:
        if self._process is not None:
            os.kill(self._process.pid, signal.SIGCONT)
            self.kill()


def _postgres_bin(name: str) -> str:
    found = sorted(glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise AssertionError(f"PostgreSQL's {name} is needed (Debian's postgresql package)")
    return found[-1]


class ThrowawayPostgres:
    """A PostgreSQL cluster of the test's own (``initdb``, ``pg_ctl``), trust authentication
    on a free loopback port; run as the ``postgres`` user when the tests run as root."""

    def __init__(self) -> None:
        # Directly under /tmp: the ``postgres`` user cannot reach pytest's folders of root's.
        self.folder = Path(tempfile.mkdtemp(prefix="bridge-test-pg-"))
        self.data = self.folder / "data"
        self.port = unused_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            self._as_user = ["runuser", "-u", "postgres", "--"]

    def _run(self, *args: str) -> None:
        subprocess.run(
            [*self._as_user, *args],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def start(self) -> None:
        if self._as_user:
            shutil.chown(self.folder, "postgres", "postgres")
        if not self.data.exists():
            self._run(
                _postgres_bin("initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust"
            )
        self._run(
            _postgres_bin("pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.folder / "server.log"),
            "-o",
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off",
            "-w",
            "start",
        )

    def _pids(self) -> list[int]:
        """The postmaster first, then every process it forked (backends, background workers)."""
        postmaster = self._postmaster()
        children = subprocess.run(
            ["pgrep", "-P", str(postmaster)], capture_output=True, text=True, check=False
        ).stdout.split()
        return [postmaster, *(int(pid) for pid in children)]

    def _postmaster(self) -> int:
        return int((self.data / "postmaster.pid").read_text().splitlines()[0])

    def pause(self) -> None:
        """SIGSTOP the whole cluster: connections stay open and nothing answers."""
        self._signal(self._pids(), signal.SIGSTOP)

    def resume(self) -> None:
        self._signal(list(reversed(self._pids())), signal.SIGCONT)

    def _signal(self, pids: list[int], signum: signal.Signals) -> None:
        """Signal the postmaster and its children; a child that ended between ``pgrep`` and
        the signal (a backend whose client closed) is gone, not an error."""
        postmaster = self._postmaster()
        for pid in pids:
            try:
                os.kill(pid, signum)
            except ProcessLookupError:
                if pid == postmaster:
                    raise

    def close(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self.resume()
                self._run(_postgres_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
