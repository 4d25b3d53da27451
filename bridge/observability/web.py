"""Per-request hooks (the request id, latency and throttling metrics) and the operators'
endpoints: ``/health/live``, ``/health/ready`` and ``/metrics``."""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Flask, Response, abort, jsonify, request

from bridge.observability.logs import REQUEST_ID_HEADER, request_id_from
from bridge.observability.metrics import ScrapeTimeGauges, exposition, process_metrics
from bridge.web.context import bridge
from bridge.web.requests import current_request, request_globals

log = logging.getLogger(__name__)
access = logging.getLogger("bridge.access")

bp = Blueprint("observability", __name__)


def install(app: Flask) -> None:
    """Register the hooks (before any other: the id is set before anything logs, and the
    latency includes the unit of work's commit) and the endpoints."""

    @app.before_request
    def _start() -> None:
        here = request_globals()
        here.request_started = time.perf_counter()
        here.request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))

    @app.after_request
    def _finish(response: Response) -> Response:
        here = request_globals()
        request_id = here.get("request_id")
        if request_id is not None:
            response.headers[REQUEST_ID_HEADER] = request_id
        started = here.get("request_started")
        if started is not None:
            answered = current_request()
            rule = answered.url_rule
            endpoint = rule.endpoint if rule else "unmatched"
            record_request(
                endpoint, answered.method, response.status_code, time.perf_counter() - started
            )
        return response

    app.register_blueprint(bp)


def record_request(
    endpoint: str, method: str, status: int, seconds: float, *, request_id: str | None = None
) -> None:
    """Count an answered request in the metrics and the access log (``request_id``: for a
    request answered outside Flask's request context, ``bridge.oidc.fast_documents``)."""
    metrics = process_metrics()
    metrics.requests.labels(endpoint, method, f"{status // 100}xx").observe(seconds)
    # The route's name, never the path or query: they may carry codes and flow ids.
    extra = None if request_id is None else {"request_id": request_id}
    access.info("%s %s %d %.1f ms", method, endpoint, status, seconds * 1e3, extra=extra)
    if status == 429:
        metrics.throttled.labels(endpoint).inc()


@bp.get("/health/live")
def live() -> Any:
    """The process answers requests; nothing else is checked (a restart would not help)."""
    return jsonify({"status": "ok"})


@bp.get("/health/ready")
def ready() -> Any:
    """Ready to serve logins: the database and the ephemeral store answer and the schema is
    the one this version needs. Otherwise 503, naming what is not ready."""
    services = bridge().services
    checks: dict[str, str] = {}
    try:
        services.db.ping()
        problem = services.db.schema_problem()
        checks["database"] = "ok"
        checks["migrations"] = "ok" if problem is None else "behind: run `bridge db upgrade`"
    except Exception as error:
        log.warning("readiness: the database does not answer: %s", error)
        checks["database"] = "unavailable"
        checks["migrations"] = "unknown"
    try:
        services.store.ping()
        checks["ephemeral_store"] = "ok"
    except Exception as error:
        log.warning("readiness: the ephemeral store does not answer: %s", error)
        checks["ephemeral_store"] = "unavailable"
    ok = all(value == "ok" for value in checks.values())
    response = jsonify({"status": "ok" if ok else "unavailable", "checks": checks})
    response.status_code = 200 if ok else 503
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/metrics")
def metrics() -> Response:
    """Prometheus text format, for a bearer of ``BRIDGE_METRICS_TOKEN``; 404 without one set."""
    token = bridge().services.secrets.metrics_token
    if token is None:
        abort(404)
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        presented.strip().encode("utf-8"), token.encode("utf-8")
    ):
        response = jsonify({"error": "a bearer token is required"})
        response.status_code = 401
        response.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    body, content_type = exposition(ScrapeTimeGauges(_outbox_gauges))
    response = Response(body, content_type=content_type)
    response.headers["Cache-Control"] = "no-store"
    return response


def _outbox_gauges() -> Iterator[tuple[str, str, float]]:
    services = bridge().services
    try:
        status = services.mailer.outbox.status(failures=0)
    except Exception as error:  # the database is down: the scrape still answers
        log.warning("metrics: the mail outbox cannot be read: %s", error)
        return
    now = time.time()  # the outbox's own clock
    oldest = status.oldest_pending.timestamp() if status.oldest_pending else now
    yield "bridge_mail_outbox_pending", "Messages waiting in the mail outbox.", status.pending
    yield (
        "bridge_mail_outbox_failed",
        "Messages given up (kept until removed; see bridge mail status).",
        status.failed,
    )
    yield (
        "bridge_mail_outbox_oldest_pending_seconds",
        "Age of the oldest waiting message (0 when none waits).",
        max(0.0, now - oldest),
    )
