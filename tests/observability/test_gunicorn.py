"""/metrics under gunicorn with several workers (PROMETHEUS_MULTIPROC_DIR): a scrape of any
worker counts every worker's requests; log lines are JSON with the request id."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL

from bridge.storage.crypto import generate_key_spec
from tests.bridges import FAST_ARGON2
from tests.ports import unused_port

GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
BRIDGE = str(Path(sys.executable).with_name("bridge"))
TOKEN = secrets.token_urlsafe(32)


@pytest.fixture
def gunicorn(
    postgres_admin_url: URL, redis_url: str, redis_prefix: str, tmp_path: Path
) -> Iterator[tuple[str, Path]]:
    """Two gunicorn workers on PostgreSQL and Redis: (base URL, log file)."""
    name = f"bridge_gunicorn_{secrets.token_hex(4)}"
    admin = create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    metrics_dir = tmp_path / "prometheus"
    metrics_dir.mkdir()
    port = unused_port()
    environment = {
        **os.environ,
        "BRIDGE_DATABASE_URL": postgres_admin_url.set(database=name).render_as_string(
            hide_password=False
        ),
        "BRIDGE_EPHEMERAL__BACKEND": "redis",
        "BRIDGE_EPHEMERAL__REDIS_URL": redis_url,
        "BRIDGE_EPHEMERAL__KEY_PREFIX": redis_prefix,
        "BRIDGE_SECRET_KEY": secrets.token_urlsafe(48),
        "BRIDGE_ENCRYPTION_KEYS": generate_key_spec(),
        "BRIDGE_ISSUER": f"http://127.0.0.1:{port}",
        "BRIDGE_METRICS_TOKEN": TOKEN,
        "BRIDGE_LOGS__FORMAT": "json",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        **FAST_ARGON2,
    }
    log = tmp_path / "gunicorn.log"
    process: subprocess.Popen[bytes] | None = None
    try:
        subprocess.run([BRIDGE, "db", "upgrade"], env=environment, check=True, capture_output=True)
        with log.open("wb") as output:
            process = subprocess.Popen(
                [GUNICORN, "-w", "2", "-b", f"127.0.0.1:{port}", "bridge.wsgi:app"],
                env=environment,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log.read_text()
            try:
                if requests.get(f"{url}/health/live", timeout=5).status_code == 200:
                    break
            except requests.RequestException:  # not listening yet, or a worker still booting
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
        yield url, log
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=30)
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def live_requests(url: str) -> float:
    response = requests.get(f"{url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    return sum(
        sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
        if sample.name == "bridge_http_request_duration_seconds_count"
        and sample.labels.get("endpoint") == "observability.live"
    )


def test_a_scrape_of_any_worker_counts_every_workers_requests(
    gunicorn: tuple[str, Path],
) -> None:
    url, log = gunicorn
    start = live_requests(url)
    for n in range(40):
        response = requests.get(
            f"{url}/health/live", headers={"X-Request-ID": f"probe-{n}", "Connection": "close"}
        )
        assert response.status_code == 200
    for _ in range(5):  # whichever worker answers the scrape, the sum is the same
        assert live_requests(url) - start == 40
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    assert any(line["request_id"] == "probe-7" for line in lines)
    assert all(line["level"] and line["message"] for line in lines)
