"""Requests to upstream providers, timed and counted by host (``/metrics``).

Only federation sends them: this module (and ``requests`` with it) is imported on the first one.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from bridge.observability.metrics import process_metrics


class MeteredAdapter(HTTPAdapter):
    """Times every request to an upstream provider and counts the failed ones, by host."""

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        metrics = process_metrics()
        host = urlsplit(request.url or "").hostname or "unknown"
        started = time.perf_counter()
        try:
            response = super().send(request, *args, **kwargs)
        except requests.Timeout:
            metrics.upstream_errors.labels(host, "timeout").inc()
            raise
        except requests.RequestException:
            metrics.upstream_errors.labels(host, "connection").inc()
            raise
        finally:
            metrics.upstream.labels(host).observe(time.perf_counter() - started)
        if response.status_code >= 400:
            metrics.upstream_errors.labels(host, "status").inc()
        return response


def metered(session: requests.Session) -> requests.Session:
    """``session`` with its requests timed and counted (``MeteredAdapter``)."""
    adapter = MeteredAdapter()
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session
