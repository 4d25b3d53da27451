"""Logins per second through gunicorn on PostgreSQL + Redis, per core, against the hash's ceiling.

Starts ``gunicorn -w N 'bridge.wsgi:app'`` (the production entry point, sync workers) on a
loopback port with a scratch PostgreSQL database and Redis, and drives it from ``--clients``
processes, each running whole logins one after another over real HTTP (authorize, password,
TOTP code, code exchange; a fresh browser each). Printed per argon2id setting (``--hash``):

- logins/s: logins over the wall time of the measured phase;
- server CPU per login: ``utime + stime`` of the gunicorn master and its workers
  (``/proc/<pid>/stat``) over the phase, divided by its logins;
- logins/s per core: 1 / server CPU per login, the logins one core would serve if it did
  nothing else. The load generator runs on the same cores (its CPU per login is printed too),
  so the wall-time rate undercounts what the server can do; the CPU figure does not depend on it;
- the hash-bound ceiling: cores / one argon2id verify's CPU (measured in this process with the
  server's parameters and code, median of 9 before and 9 after the phase), and the achieved
  share of it: the verify's CPU over the server's CPU per login (logins/s per core times cores,
  over the ceiling); beside it one verify's CPU while every core verifies at once (what each
  worker's verify costs when the other's runs too: they share the last-level cache);
- with ``--metered`` (``bench.metered``'s meter in each worker): the CPU per login inside the
  WSGI calls, one verify's CPU inside the loaded workers, and what gunicorn spent outside;
- each worker's memory after the phase (RSS, PSS, USS from ``/proc/<pid>/smaps_rollup``), and
  with ``--memory 1000,3000`` after that many logins in all (a leak grows between them).

    .venv/bin/python -m bench.throughput --hash owasp --logins 600 --memory 1000,3000
    .venv/bin/python -m bench.throughput --hash default --logins 300
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyotp
import requests

from bench.population import HASHES, Population, populate, production_environment
from bench.procstat import children, memory, process_cpu, tree_cpu
from bridge.services.passwords import PasswordHasher
from tests.e2e.harness import PASSWORD, Browser, Page, RelyingParty, callback_params

#: Targets of issue 16, printed beside the figures.
TARGET_PER_CORE_OWASP = 35.0
TARGET_CEILING_SHARE_DEFAULT = 0.90


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_gunicorn(
    environ: dict[str, str], port: int, workers: int, log: Path, app: str = "bridge.wsgi:app"
) -> subprocess.Popen[bytes]:
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        *("-w", str(workers), "-b", f"127.0.0.1:{port}", "--error-logfile", str(log)),
        app,
    ]
    with log.open("ab") as output:  # the access log too: each worker writes it to stderr
        server = subprocess.Popen(
            command, env={**os.environ, **environ}, stdout=output, stderr=subprocess.STDOUT
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            answer = requests.get(f"http://127.0.0.1:{port}/health", timeout=10)
            if answer.ok and len(children(server.pid)) == workers:
                return server
        except requests.RequestException:
            pass
        if server.poll() is not None:
            break
        time.sleep(0.2)
    server.kill()
    raise SystemExit(f"gunicorn did not start; see {log}")


def ask_every_worker(issuer: str, path: str, workers: int) -> list[dict[str, Any]]:
    """``/__bench/<path>`` of each worker: asked until every worker has answered once."""
    answers: dict[int, dict[str, Any]] = {}
    for _ in range(200):
        answer = requests.get(f"{issuer}/__bench/{path}", timeout=30).json()
        answers.setdefault(answer["pid"], answer)
        if len(answers) == workers:
            return list(answers.values())
    raise SystemExit(f"only {len(answers)} of {workers} workers answered /__bench/{path}")


def step_now() -> int:
    return int(time.time()) // 30


def run_client(
    issuer: str,
    client: tuple[str, str | None],
    users: Sequence[tuple[str, str]],
    last_step: dict[str, int],
) -> tuple[float, dict[str, int]]:
    """One login of each of ``users`` in turn; a user logs in at most once per TOTP time step
    (the bridge refuses a code's step twice). Returns this process's CPU and each user's last
    step."""
    started = time.process_time()
    rp = RelyingParty(issuer, *client)
    for username, secret in users:
        while last_step.get(username, -1) >= step_now():
            time.sleep(0.5)
        last_step[username] = step_now()
        login(rp, username, secret)
    return time.process_time() - started, last_step


def login(rp: RelyingParty, username: str, secret: str) -> dict[str, Any]:
    browser = Browser()
    request = rp.authorization_request()
    page = browser.open(request.url)
    assert isinstance(page, Page), page
    page = browser.submit(username=username, password=PASSWORD)
    assert isinstance(page, Page), page.html[:300] if isinstance(page, Page) else page
    landed = browser.submit(code=pyotp.TOTP(secret).now())
    assert isinstance(landed, str), browser.page.html[:300] if browser.page else landed
    response = rp.exchange(callback_params(landed)["code"], request.verifier)
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return tokens


class Load:
    """``clients`` processes, each with its own share of the users."""

    def __init__(self, issuer: str, population: Population, clients: int) -> None:
        self.issuer = issuer
        self.population = population
        self.clients = clients
        self.done = 0
        self.last_step: dict[str, int] = {}
        self.pool = multiprocessing.get_context("fork").Pool(clients)

    def run(self, logins: int) -> tuple[float, float]:
        """``logins`` logins spread over the clients: (wall seconds, the clients' CPU). The
        users are taken in turn, continuing where the previous run stopped."""
        users = self.population.users
        turn = [users[(self.done + n) % len(users)] for n in range(logins)]
        client = (self.population.client_id, self.population.client_secret)
        started = time.monotonic()
        results = []
        for i in range(self.clients):
            mine = turn[i :: self.clients]
            last = {name: self.last_step[name] for name, _ in mine if name in self.last_step}
            results.append(self.pool.apply_async(run_client, (self.issuer, client, mine, last)))
        outcomes = [result.get(timeout=3600) for result in results]
        wall = time.monotonic() - started
        for _, last in outcomes:
            self.last_step.update(last)
        self.done += logins
        return wall, sum(cpu for cpu, _ in outcomes)

    def close(self) -> None:
        self.pool.terminate()  # every run has been waited for; after an error, stop the rest
        self.pool.join()


def verify_cpu(population: Population, rounds: int = 9) -> float:
    """One argon2id verify's CPU with the server's parameters (median of ``rounds``)."""
    return statistics.median(verify_samples(population.hasher, rounds))


def verify_samples(hasher: PasswordHasher, rounds: int) -> list[float]:
    """The CPU of each of ``rounds`` verifies, one after another in this process."""
    stored = hasher.hash(PASSWORD)
    spent = []
    for _ in range(rounds):
        started = time.process_time()
        assert hasher.verify(stored, PASSWORD)
        spent.append(time.process_time() - started)
    return spent


def concurrent_verify_cpu(population: Population, at_once: int, rounds: int = 5) -> float:
    """One verify's CPU while ``at_once`` processes verify at the same time, as the workers do
    under load (median over all of them): they share the last-level cache and the memory bus,
    which a verify of 64 MiB leans on, so each costs more CPU than one alone."""
    context = multiprocessing.get_context("fork")
    with context.Pool(at_once) as pool:
        spent = pool.starmap(verify_samples, [(population.hasher, rounds)] * at_once)
    return statistics.median(cpu for samples in spent for cpu in samples)


def print_in_app(stats: list[dict[str, Any]], server_cpu: float, logins: int) -> None:
    """Where the server's CPU per login went, from the meters of ``--metered``."""
    figures = [answer["figures"] for answer in stats]
    in_app = sum(f.get("other", {}).get("cpu", 0) for f in figures) / logins
    verifies = sum(f.get("other", {}).get("verifies", 0) for f in figures)
    verify = sum(f.get("other", {}).get("verify_cpu", 0) for f in figures) / max(verifies, 1)
    per_login = server_cpu / logins
    print(f"  in the workers, per login: WSGI calls {in_app * 1000:.1f} ms, of which the argon2id "
          f"verify {verify * 1000:.1f} ms ({verifies / logins:.2f} a login) and the rest "
          f"{(in_app - verify * verifies / logins) * 1000:.1f} ms; outside the WSGI calls "
          f"(gunicorn: accept, HTTP parsing, writing; the meter's own work): "
          f"{(per_login - in_app) * 1000:.1f} ms")  # fmt: skip


def print_memory(server: subprocess.Popen[bytes], logins: int) -> None:
    for pid in children(server.pid):
        m = memory(pid)
        print(f"  worker {pid} after {logins} logins: RSS {m.rss:.0f} MiB, PSS {m.pss:.0f} MiB, "
              f"USS {m.uss:.0f} MiB (target RSS <= 120 MiB)")  # fmt: skip


@dataclass(frozen=True)
class Phase:
    """What one measured run of logins cost."""

    hash_name: str
    logins: int
    wall: float  # seconds
    server_cpu: float  # seconds, gunicorn master and workers
    client_cpu: float  # seconds, the load processes
    verify: float  # seconds of CPU, one argon2id verify alone (before and after the phase)
    verify_at_once: float  # seconds of CPU, one verify while every core verifies
    master_cpu: float  # seconds, the gunicorn master alone


def report(phase: Phase) -> None:
    cores = os.cpu_count() or 1
    rate = phase.logins / phase.wall
    per_login = phase.server_cpu / phase.logins
    ceiling = cores / phase.verify
    owasp = phase.hash_name == "owasp"
    print(f"  {cores} cores; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"  logins: {phase.logins} in {phase.wall:.1f} s = {rate:.1f} logins/s wall time "
          f"({rate / cores:.1f} per core, the load generator's share included)")  # fmt: skip
    client = phase.client_cpu / phase.logins
    print(f"  server CPU per login: {per_login * 1000:.1f} ms (gunicorn master + workers, "
          f"/proc/PID/stat; the master {phase.master_cpu / phase.logins * 1000:.2f} ms); "
          f"load generator: {client * 1000:.1f} ms")  # fmt: skip
    target = f" (target >= {TARGET_PER_CORE_OWASP:.0f})" if owasp else ""
    print(f"  logins/s per core (1 / server CPU per login): {1 / per_login:.1f}{target}")
    print(f"  one argon2id verify: {phase.verify * 1000:.1f} ms CPU (alone, median of 9 before "
          f"and 9 after the phase); the login beyond it: "
          f"{(per_login - phase.verify) * 1000:.1f} ms")  # fmt: skip
    target = "" if owasp else f" (target >= {TARGET_CEILING_SHARE_DEFAULT:.0%})"
    print(f"  hash-bound ceiling ({cores} cores / one verify): {ceiling:.1f} logins/s; "
          f"achieved by CPU: {phase.verify / per_login:.1%}{target}; "
          f"by wall time: {rate / ceiling:.1%}")  # fmt: skip
    print(f"  one verify while {cores} verify at once: {phase.verify_at_once * 1000:.1f} ms CPU "
          f"(ceiling {cores / phase.verify_at_once:.1f} logins/s, achieved by CPU "
          f"{phase.verify_at_once / per_login:.1%})")  # fmt: skip


def measure(args: argparse.Namespace, hash_name: str) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="bridge-throughput-"))
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    environ = production_environment(workdir, issuer, hash_name)
    checkpoints = [int(n) for n in args.memory.split(",")] if args.memory else []
    population = populate(environ, args.users)
    app = "bench.metered:gunicorn_app()" if args.metered else "bridge.wsgi:app"
    server = start_gunicorn(environ, port, args.workers, workdir / "gunicorn.log", app)
    load = Load(issuer, population, args.clients)
    try:
        load.run(args.warmup)
        if args.metered:
            ask_every_worker(issuer, "reset", args.workers)
        verifies = verify_samples(population.hasher, 9)
        before, master_before = tree_cpu(server.pid), process_cpu(server.pid)
        wall, client_cpu = load.run(args.logins)
        server_cpu = tree_cpu(server.pid) - before
        master_cpu = process_cpu(server.pid) - master_before
        verifies += verify_samples(population.hasher, 9)
        at_once = concurrent_verify_cpu(population, os.cpu_count() or 1)
        print(f"argon2id t={'{}, m={} KiB, p={}'.format(*population.hasher.parameters)} "
              f"({hash_name}); gunicorn with {args.workers} sync workers, {args.clients} "
              f"client processes; PostgreSQL + Redis")  # fmt: skip
        verify = statistics.median(verifies)
        report(
            Phase(hash_name, args.logins, wall, server_cpu, client_cpu, verify, at_once, master_cpu)
        )
        if args.metered:
            print_in_app(ask_every_worker(issuer, "stats", args.workers), server_cpu, args.logins)
        print_memory(server, load.done)
        for checkpoint in checkpoints:
            if checkpoint > load.done:
                load.run(checkpoint - load.done)
                print_memory(server, load.done)
    finally:
        load.close()
        server.terminate()
        server.wait(timeout=30)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hash", choices=[*HASHES, "both"], default="both")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--clients", type=int, help="load processes (default: 2 per worker)")
    parser.add_argument("--logins", type=int, default=400, help="logins measured")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--users", type=int, default=1500)
    parser.add_argument("--memory", help="also print memory after this many logins, e.g. 1000,3000")
    parser.add_argument(
        "--metered",
        action="store_true",
        help="serve bench.metered's bridge and print the CPU in the WSGI calls and the verifies",
    )
    args = parser.parse_args(argv)
    args.clients = args.clients or 2 * args.workers
    for hash_name in HASHES if args.hash == "both" else [args.hash]:
        measure(args, hash_name)


if __name__ == "__main__":
    main()
