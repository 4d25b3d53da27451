"""Throwaway Redis and PostgreSQL servers of the tests' own, on free loopback ports in temporary
folders: a master with a replica and three Sentinels, a Redis Cluster, a PostgreSQL primary
with a streaming standby. The machine's own Redis and PostgreSQL are never touched."""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import redis

from tests.ports import unused_port

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
REDIS_CLI = shutil.which("redis-cli") or "/usr/bin/redis-cli"


def wait_for(check: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def _answers(port: int) -> bool:
    try:
        return bool(redis.Redis(port=port, socket_timeout=0.5).ping())
    except redis.RedisError:
        return False


@dataclass
class RedisProcesses:
    folder: Path
    processes: dict[int, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self, port: int, *options: str, sentinel: bool = False) -> None:
        """A ``redis-server`` (or, with ``sentinel``, a Sentinel: the same binary) on ``port``."""
        folder = self.folder / str(port)
        folder.mkdir(parents=True)
        config = folder / "redis.conf"
        lines = [f"port {port}", "bind 127.0.0.1", f"dir {folder}", 'save ""', *options]
        config.write_text("\n".join(lines) + "\n")
        command = [REDIS_SERVER, str(config)] + (["--sentinel"] if sentinel else [])
        log = (folder / "log").open("wb")
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        self.processes[port] = process
        log.close()

        def up() -> bool:
            if process.poll() is not None:
                raise AssertionError(f"redis on {port} exited: {(folder / 'log').read_text()}")
            return _answers(port)

        wait_for(up, f"redis on port {port}")

    def kill(self, port: int) -> None:
        process = self.processes.pop(port)
        process.send_signal(signal.SIGKILL)
        process.wait(10)

    def stop_all(self) -> None:
        for port in list(self.processes):
            self.kill(port)


@contextmanager
def redis_processes(folder: Path) -> Iterator[RedisProcesses]:
    started = RedisProcesses(folder)
    try:
        yield started
    finally:
        started.stop_all()


@dataclass(frozen=True)
class SentinelSetup:
    master: int
    replica: int
    sentinels: tuple[int, ...]
    service: str = "bridge"

    def url(self) -> str:
        hosts = ",".join(f"127.0.0.1:{port}" for port in self.sentinels)
        return f"redis+sentinel://{hosts}/{self.service}/0"

    def current_master(self) -> int:
        answer = redis.Redis(port=self.sentinels[0]).sentinel_get_master_addr_by_name(self.service)
        return int(answer[1])


def start_sentinel_setup(redises: RedisProcesses) -> SentinelSetup:
    """A master, a replica and three Sentinels (quorum 2) that fail over after 1 s down."""
    master, replica = unused_port(), unused_port()
    redises.start(master)
    redises.start(replica, f"replicaof 127.0.0.1 {master}")
    wait_for(
        lambda: redis.Redis(port=replica).info("replication")["master_link_status"] == "up",
        "the replica to sync",
    )
    sentinels = tuple(unused_port() for _ in range(3))
    for port in sentinels:
        redises.start(
            port,
            f"sentinel monitor bridge 127.0.0.1 {master} 2",
            "sentinel down-after-milliseconds bridge 1000",
            "sentinel failover-timeout bridge 5000",
            "sentinel parallel-syncs bridge 1",
            sentinel=True,
        )
    setup = SentinelSetup(master, replica, sentinels)
    wait_for(
        lambda: all(
            int(redis.Redis(port=port).sentinel_master("bridge")["num-other-sentinels"]) == 2
            and int(redis.Redis(port=port).sentinel_master("bridge")["num-slaves"]) == 1
            for port in sentinels
        ),
        "the Sentinels to know each other and the replica",
    )
    return setup


def _cluster_port() -> int:
    """A free port whose cluster bus port (10000 above it) is free too."""
    while True:
        port = unused_port()
        if port <= 55535 and _free(port + 10000):
            return port


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def start_cluster(redises: RedisProcesses, masters: int = 3) -> list[int]:
    """A Redis Cluster of ``masters`` masters (no replicas), every slot covered."""
    ports = [_cluster_port() for _ in range(masters)]
    for port in ports:
        redises.start(port, "cluster-enabled yes", "cluster-node-timeout 2000", "appendonly no")
    subprocess.run(
        [REDIS_CLI, "--cluster", "create", *(f"127.0.0.1:{p}" for p in ports), "--cluster-yes"],
        check=True,
        capture_output=True,
    )
    wait_for(
        lambda: all(
            redis.Redis(port=port).cluster("info")["cluster_state"] == "ok" for port in ports
        ),
        "the cluster to cover every slot",
    )
    return ports


# --- PostgreSQL ----------------------------------------------------------------------------


def postgres_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if not found:
        raise AssertionError("PostgreSQL's server programs are missing (/usr/lib/postgresql)")
    return Path(found[-1]).parent


def _as_postgres(command: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root: run them as the postgres user then."""
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


@dataclass
class PostgresCluster:
    data: Path
    port: int

    def ctl(self, *args: str) -> None:
        subprocess.run(
            _as_postgres([str(postgres_bin() / "pg_ctl"), "-D", str(self.data), *args]),
            check=True,
            capture_output=True,
        )

    def start(self) -> None:
        self.ctl("-l", str(self.data / "server.log"), "-w", "-t", "60", "start")

    def stop(self, mode: str = "immediate") -> None:
        self.ctl("-m", mode, "-w", "stop")


@contextmanager
def primary_and_standby() -> Iterator[tuple[PostgresCluster, PostgresCluster]]:
    """A primary and a streaming standby of it, both trusting local connections, in a folder
    of their own (the postgres user must be able to reach it: not under pytest's tmp_path)."""
    folder = Path(tempfile.mkdtemp(prefix="bridge-ha-postgres-"))
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(folder, user.pw_uid, user.pw_gid)
    primary = PostgresCluster(folder / "primary", unused_port())
    standby = PostgresCluster(folder / "standby", unused_port())
    bin_dir = postgres_bin()
    subprocess.run(
        _as_postgres(
            [str(bin_dir / "initdb"), "-D", str(primary.data), "-U", "postgres", "-A", "trust"]
        ),
        check=True,
        capture_output=True,
    )
    with (primary.data / "postgresql.conf").open("a") as conf:
        conf.write(
            f"port = {primary.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = "
            f"'{folder}'\nwal_level = replica\nmax_wal_senders = 5\nfsync = off\n"
        )
    with (primary.data / "pg_hba.conf").open("a") as hba:
        hba.write("host replication postgres 127.0.0.1/32 trust\n")
    started: list[PostgresCluster] = []
    try:
        primary.start()
        started.append(primary)
        subprocess.run(
            _as_postgres(
                [
                    str(bin_dir / "pg_basebackup"),
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(primary.port),
                    "-U",
                    "postgres",
                    "-D",
                    str(standby.data),
                    "-R",
                    "-X",
                    "stream",
                ]
            ),
            check=True,
            capture_output=True,
        )
        with (standby.data / "postgresql.conf").open("a") as conf:
            conf.write(f"port = {standby.port}\n")
        standby.start()
        started.append(standby)
        yield primary, standby
    finally:
        for cluster in reversed(started):
            with contextlib.suppress(subprocess.CalledProcessError):  # stopped by the test
                cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)
