"""Server CPU per operation: the bridge beside node oidc-provider, runs interleaved.

Starts the bridge as in production (``gunicorn -w 1 'bridge.wsgi:app'``, PostgreSQL + Redis)
and the peer (``bench/peer/oidc-provider.mjs``: node oidc-provider with one client, users who
sign in with a password and a TOTP code, the same argon2id parameters), both on loopback
ports, and drives the same operations against each over real HTTP from this process, one
request at a time: discovery, JWKS, a login in three steps (authorize: the authorization
request and the sign-in page; password: the form and the TOTP page; TOTP: the code and the
redirects to the callback), the code exchange, a refresh and a userinfo call. Each batch of one
operation runs against the bridge, then against the peer (the order alternates per round), so
both see the same load from the machine's other work. A batch's CPU is ``utime + stime`` of the
server's processes from ``/proc/<pid>/stat`` (gunicorn's master and worker; node's one
process), divided by its requests; the figure is the median of the rounds. One argon2id verify
is measured on each side (the bridge's in this process with the bridge's library and
parameters, the peer's inside node), so the login beyond it compares the rest of the work.

The peer is not part of the repository: install it once in a folder outside it, then name the
folder (``bench/README.md``):

    .venv/bin/python -m bench.side_by_side --peer-dir /tmp/bridge-peer --logins 100 --rounds 3
"""

from __future__ import annotations

import argparse
import base64
import os
import shutil
import statistics
import subprocess
import tempfile
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyotp
import requests

from bench.population import HASHES, populate, production_environment
from bench.procstat import children, memory, process_cpu, tree_cpu
from bench.throughput import free_port, start_gunicorn, verify_cpu
from tests.e2e.harness import PASSWORD, AuthRequest, Browser, Page, RelyingParty, callback_params

PEER_SCRIPT = Path(__file__).resolve().parent / "peer" / "oidc-provider.mjs"
LOGIN = ("authorize", "password", "totp", "code exchange")
OPERATIONS = ("discovery", "jwks", *LOGIN, "refresh", "userinfo")
LIGHT = ("discovery", "jwks")


@dataclass
class Attempt:
    """One login in progress, step by step."""

    username: str
    secret: str
    browser: Browser = field(default_factory=Browser)
    request: AuthRequest | None = None
    landed: str = ""
    tokens: dict[str, Any] = field(default_factory=dict)


@dataclass
class Server:
    name: str
    rp: RelyingParty
    cpu: Callable[[], float]
    users: list[tuple[str, str]]
    verify: float = 0.0

    def run(self, op: str, attempts: list[Attempt], light: int) -> float:
        """Run ``op`` (once per attempt, or ``light`` times): the server CPU per request."""
        before = self.cpu()
        if op in LIGHT:
            url = self.rp.metadata["jwks_uri"] if op == "jwks" else self.discovery
            for _ in range(light):
                assert self.rp.http.get(url).ok
        else:
            for attempt in attempts:
                self.step(op, attempt)
        return (self.cpu() - before) / (light if op in LIGHT else len(attempts))

    @property
    def discovery(self) -> str:
        return f"{self.rp.issuer}/.well-known/openid-configuration"

    def step(self, op: str, attempt: Attempt) -> None:
        rp, browser = self.rp, attempt.browser
        if op == "authorize":
            attempt.request = rp.authorization_request()
            assert isinstance(browser.open(attempt.request.url), Page)
        elif op == "password":
            page = browser.submit(username=attempt.username, password=PASSWORD)
            assert isinstance(page, Page), page
            assert not page.errors, page.errors
        elif op == "totp":
            landed = browser.submit(code=pyotp.TOTP(attempt.secret).now())
            assert isinstance(landed, str), browser.page.html[:300] if browser.page else landed
            attempt.landed = landed
        elif op == "code exchange":
            assert attempt.request is not None
            code = callback_params(attempt.landed)["code"]
            response = rp.exchange(code, attempt.request.verifier)
            assert response.status_code == 200, response.text
            attempt.tokens = response.json()
        elif op == "refresh":
            response = rp.refresh(attempt.tokens["refresh_token"])
            assert response.status_code == 200, response.text
            attempt.tokens = response.json()
        elif op == "userinfo":
            assert rp.userinfo(attempt.tokens["access_token"]).status_code == 200


def start_peer(peer_dir: Path, port: int, client: tuple[str, str], argon2: str) -> Any:
    """The peer's script, copied into ``peer_dir`` (where its node_modules are), started."""
    if not (peer_dir / "node_modules" / "oidc-provider").is_dir():
        raise SystemExit(f"no oidc-provider in {peer_dir}/node_modules: see bench/README.md")
    shutil.copy(PEER_SCRIPT, peer_dir / PEER_SCRIPT.name)
    environ = {
        "PEER_PORT": str(port),
        "PEER_CLIENT_ID": client[0],
        "PEER_CLIENT_SECRET": client[1],
        "PEER_PASSWORD": PASSWORD,
        "PEER_TOTP_SECRET": PEER_TOTP_SECRET,
        "PEER_ARGON2": argon2,
    }
    peer = subprocess.Popen(
        ["node", PEER_SCRIPT.name],
        cwd=peer_dir,
        env={**os.environ, **environ},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,  # its warnings: node 20, the in-memory adapter
        text=True,
    )
    assert peer.stdout is not None
    if peer.stdout.readline().strip() != "serving":
        peer.kill()
        raise SystemExit("the peer did not start")
    return peer


PEER_TOTP_SECRET = base64.b32encode(os.urandom(20)).decode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peer-dir", type=Path, default=Path("/tmp/bridge-peer"))
    parser.add_argument("--logins", type=int, default=100, help="logins per round")
    parser.add_argument("--light", type=int, default=1000, help="discovery/JWKS per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--hash", choices=list(HASHES), default="owasp")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="bridge-side-by-side-"))
    port, peer_port = free_port(), free_port()
    environ = production_environment(workdir, f"http://127.0.0.1:{port}", args.hash)
    population = populate(environ, args.logins * (args.rounds + 1))
    argon2 = ",".join(str(n) for n in population.hasher.parameters)
    peer_client = ("bench", base64.urlsafe_b64encode(os.urandom(24)).decode())
    bridge = start_gunicorn(environ, port, 1, workdir / "gunicorn.log")
    peer = start_peer(args.peer_dir, peer_port, peer_client, argon2)
    try:
        servers = [
            Server(
                "bridge",
                RelyingParty(
                    f"http://127.0.0.1:{port}", population.client_id, population.client_secret
                ),
                lambda: tree_cpu(bridge.pid),
                population.users,
                verify_cpu(population),
            ),
            Server(
                "peer",
                RelyingParty(f"http://127.0.0.1:{peer_port}", *peer_client),
                lambda: process_cpu(peer.pid),
                [(f"bench-{n}", PEER_TOTP_SECRET) for n in range(len(population.users))],
                requests.get(f"http://127.0.0.1:{peer_port}/__bench/verify?n=9").json()["cpu"],
            ),
        ]
        figures = interleave(servers, args)
        report(args, servers, figures, [bridge.pid, *children(bridge.pid)], peer.pid)
    finally:
        peer.terminate()
        bridge.terminate()
        peer.wait(timeout=10)
        bridge.wait(timeout=30)


Figures = dict[str, dict[str, list[float]]]  # server -> operation -> CPU seconds per round


def interleave(servers: list[Server], args: argparse.Namespace) -> Figures:
    figures: Figures = {server.name: defaultdict(list) for server in servers}
    for r in range(-1, args.rounds):  # round -1 warms both up (connections, templates, JIT)
        count = args.logins if r >= 0 else 10
        first = (r + 1) * args.logins
        attempts = {s.name: [Attempt(*u) for u in s.users[first : first + count]] for s in servers}
        for op in OPERATIONS:
            order = servers if r % 2 == 0 else servers[::-1]
            for server in order:
                spent = server.run(op, attempts[server.name], args.light if r >= 0 else 20)
                if r >= 0:
                    figures[server.name][op].append(spent)
    return figures


def report(
    args: argparse.Namespace, servers: list[Server], figures: Figures, bridge: list[int], peer: int
) -> None:
    bridge_side, peer_side = servers
    print(f"{args.rounds} rounds, {args.logins} logins and {args.light} discovery and JWKS "
          f"requests each; server CPU per request from /proc, median of the rounds; "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")  # fmt: skip
    print(f"  {'operation':<28} {'bridge ms':>10} {'peer ms':>10} {'ratio':>7}")

    def line(name: str, ours: float, theirs: float) -> None:
        ratio = f"{ours / theirs:7.1f}" if theirs > 0 else "    n/a"  # under one clock tick
        print(f"  {name:<28} {ours * 1000:10.2f} {theirs * 1000:10.2f} {ratio}")

    median = {
        s.name: {op: statistics.median(v) for op, v in figures[s.name].items()} for s in servers
    }
    for op in OPERATIONS:
        line(op, median["bridge"][op], median["peer"][op])
    login = {name: sum(median[name][op] for op in LOGIN) for name in median}
    line("whole login", login["bridge"], login["peer"])
    line("one argon2id verify", bridge_side.verify, peer_side.verify)
    line(
        "login beyond the verify",
        login["bridge"] - bridge_side.verify,
        login["peer"] - peer_side.verify,
    )
    master, *workers = (memory(pid) for pid in bridge)
    print(f"  RSS: bridge worker {sum(m.rss for m in workers):.0f} MiB (USS "
          f"{sum(m.uss for m in workers):.0f}), gunicorn master {master.rss:.0f} MiB; "
          f"peer {memory(peer).rss:.0f} MiB (USS {memory(peer).uss:.0f}, one process)")  # fmt: skip


if __name__ == "__main__":
    main()
