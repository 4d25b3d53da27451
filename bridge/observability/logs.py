"""Log lines as text or one JSON object per line, each carrying the request's id.

The id is the request's ``X-Request-ID`` when it is safe to echo (1-128 of ``A-Z a-z 0-9 . _
: -``, starting with a letter or digit), else a new random one; every response carries it back.
Log lines hold what the code logs and nothing of the request itself: no headers, cookies,
query strings or form fields, so no password, code or token reaches the log.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import uuid
from datetime import UTC, datetime

from flask import g, has_request_context

from bridge.config.sections import LogSettings

REQUEST_ID_HEADER = "X-Request-ID"
_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")


def request_id_from(header: str | None) -> str:
    """The caller's id when it is safe to log and echo, else a new one."""
    if header is not None and _SAFE_REQUEST_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    if not has_request_context():
        return None
    value: str | None = g.get("request_id")
    return value


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record: the Flask request's, else the one a record was
    logged with (``extra``), else None."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id() or getattr(record, "request_id", None)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, exception."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def log_handler(settings: LogSettings) -> logging.Handler:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RequestIdFilter())
    formatter = JsonFormatter() if settings.format == "json" else logging.Formatter(TEXT_FORMAT)
    handler.setFormatter(formatter)
    return handler


def configure_logging(settings: LogSettings) -> None:
    """Send the process's log lines to standard error in the configured format (for the
    serving entry points; a test or an embedding program keeps its own logging)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "bridge", False):
            root.removeHandler(handler)
    handler = log_handler(settings)
    handler.bridge = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(settings.level)
