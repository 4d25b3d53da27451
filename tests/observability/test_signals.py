"""What operators watch (issue 15, item 9): /metrics behind a bearer token, login outcomes and
lockouts in it, the request id, JSON logs without secrets, liveness and readiness."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import replace

import pytest
import requests
from alembic import command
from prometheus_client.parser import text_string_to_metric_families

from bridge.config.sections import LogSettings
from bridge.storage.ephemeral import RedisStore
from tests.e2e.factor_life import enrolled_user, to_code_page, wrong_code
from tests.e2e.harness import PASSWORD, Browser, LiveBridge, RelyingParty
from tests.ports import unused_port

TOKEN = "metrics-token-0123456789abcdef"


@pytest.fixture
def metered(live: LiveBridge) -> LiveBridge:
    """The live bridge with a metrics token set."""
    live.services.secrets = replace(live.services.secrets, metrics_token=TOKEN)
    return live


def scrape(live: LiveBridge) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = requests.get(live.url + "/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(
    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str
) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_are_off_without_a_token(live: LiveBridge) -> None:
    assert requests.get(live.url + "/metrics").status_code == 404


@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token", f"Basic {TOKEN}", TOKEN])
def test_metrics_need_the_bearer_token(metered: LiveBridge, authorization: str | None) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = requests.get(metered.url + "/metrics", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert "bridge_" not in response.text


def test_login_outcomes_and_lockouts_are_counted_by_factor_and_reason(
    metered: LiveBridge, rp: RelyingParty, browser: Browser
) -> None:
    before = scrape(metered)
    _, secret = enrolled_user(metered, "ada")
    to_code_page(rp, browser, "ada")
    for _ in range(3):
        browser.submit(code=wrong_code(metered, secret))
    after = scrape(metered)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    (failed,) = metered.audit("sign_in_failed")[:1]
    reason = failed.reason
    assert grew("bridge_logins_total", outcome="failed", factor="totp", reason=reason) >= 1
    assert grew("bridge_lockouts_total", reason="codes") == 1
    assert grew("bridge_login_step_duration_seconds_count", step="totp") == 3
    assert grew("bridge_login_step_duration_seconds_count", step="password") == 1
    answered = sum(
        grew(
            "bridge_http_request_duration_seconds_count",
            endpoint="login.answer_step",
            method="POST",
            status=status,
        )
        for status in ("2xx", "3xx", "4xx")  # the lock ends the login with an error page
    )
    assert answered == 4
    assert ("bridge_mail_outbox_pending", ()) in after  # read from the database per scrape


def test_a_safe_request_id_is_echoed_and_an_unsafe_one_replaced(live: LiveBridge) -> None:
    kept = requests.get(live.url + "/health/live", headers={"X-Request-ID": "lb-7f3a.1:2_x"})
    assert kept.headers["X-Request-ID"] == "lb-7f3a.1:2_x"
    for unsafe in ("a" * 129, "<script>", "id with spaces", "-leading"):
        answer = requests.get(live.url + "/health/live", headers={"X-Request-ID": unsafe})
        assert answer.status_code == 200
        assert re.fullmatch(r"[0-9a-f]{32}", answer.headers["X-Request-ID"])
    fresh = requests.get(live.url + "/health/live")
    assert re.fullmatch(r"[0-9a-f]{32}", fresh.headers["X-Request-ID"])


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """The bridge's JSON log lines of this test, as the serving entry points configure them."""
    from bridge.observability.logs import log_handler

    stream = io.StringIO()
    handler = log_handler(LogSettings(format="json", level="DEBUG"))
    handler.setStream(stream)  # type: ignore[attr-defined]
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


def test_log_lines_are_json_with_the_request_id_and_no_secrets(
    live: LiveBridge, rp: RelyingParty, browser: Browser, json_log: io.StringIO
) -> None:
    live.add_user("bob")
    browser.http.headers["X-Request-ID"] = "trace-42"
    browser.open(rp.authorization_request().url)
    browser.submit(username="bob", password="not the password at all")
    browser.submit(username="bob", password=PASSWORD)
    lines = [json.loads(line) for line in json_log.getvalue().splitlines() if line]
    assert lines, "the login logged nothing"
    assert {"time", "level", "logger", "message", "request_id"} <= set(lines[0])
    assert any(line["request_id"] == "trace-42" for line in lines)
    text = json_log.getvalue()
    assert PASSWORD not in text and "not the password at all" not in text
    assert "csrf_token" not in text
    for cookie in browser.http.cookies:
        assert cookie.value is None or cookie.value not in text


def test_liveness_needs_no_store(live: LiveBridge) -> None:
    live.services.store = RedisStore(
        f"redis://127.0.0.1:{unused_port()}/0", "x:", socket_timeout=0.2, retries=0
    )
    assert requests.get(live.url + "/health/live").status_code == 200


def test_ready_when_both_stores_answer_and_migrations_are_current(live: LiveBridge) -> None:
    response = requests.get(live.url + "/health/ready")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "migrations": "ok", "ephemeral_store": "ok"},
    }
    assert requests.get(live.url + "/health").json() == {"status": "ok"}  # as before


def test_not_ready_while_the_ephemeral_store_is_unreachable(live: LiveBridge) -> None:
    live.services.store = RedisStore(
        f"redis://127.0.0.1:{unused_port()}/0", "x:", socket_timeout=0.2, retries=0
    )
    response = requests.get(live.url + "/health/ready")
    assert response.status_code == 503
    assert response.json()["checks"]["ephemeral_store"] == "unavailable"


def test_not_ready_while_migrations_are_behind(live: LiveBridge) -> None:
    database = live.services.db
    config = database.alembic_config()
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "-1")  # one migration behind
    try:
        response = requests.get(live.url + "/health/ready")
        assert response.status_code == 503
        assert response.json()["checks"]["migrations"].startswith("behind")
    finally:
        database.upgrade()
