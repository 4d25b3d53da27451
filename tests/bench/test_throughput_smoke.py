"""The throughput bench runs: two logins through gunicorn, and every figure is named.

A smoke test of the driver only: it asserts no figure's value (tests check behaviour, not time;
``bench/README.md`` says how to run the bench for its figures).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import URL

ROOT = Path(__file__).parents[2]
FIGURES = (
    "logins/s wall time",
    "server CPU per login",
    "logins/s per core",
    "one argon2id verify",
    "hash-bound ceiling",
    "RSS",
    "PSS",
    "USS",
    "verify at once",
)
#: What ``--metered`` adds: where the server's CPU went.
METERED = ("in the workers, per login", "outside the WSGI calls")


@pytest.mark.parametrize("metered", [False, True])
def test_the_throughput_bench_drives_logins_and_names_its_figures(
    postgres_admin_url: URL, metered: bool
) -> None:
    command = [sys.executable, "-m", "bench.throughput", "--hash", "owasp", "--logins", "2"]
    command += ["--warmup", "0", "--users", "2", "--workers", "1", "--clients", "1"]
    command += ["--metered"] if metered else []
    environ = {
        **os.environ,
        "BENCH_POSTGRES_URL": postgres_admin_url.render_as_string(hide_password=False),
    }
    done = subprocess.run(
        command, cwd=ROOT, env=environ, capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    for figure in FIGURES + (METERED if metered else ()):
        assert figure in done.stdout, f"{figure!r} missing from:\n{done.stdout}"
