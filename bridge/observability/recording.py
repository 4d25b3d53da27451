"""What the services record into the metrics: audit events (logins, lockouts), mail outcomes,
store errors and upstream requests. Each function is a small hook the services are built with."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, event

from bridge.domain.events import AuditEventName
from bridge.mail.message import MailMessage
from bridge.observability.metrics import process_metrics
from bridge.storage.db.models import AuditEvent
from flows import Flow, StepExecution

if TYPE_CHECKING:
    import requests

#: A label value from the code's own vocabulary; anything else is counted as "other", so a
#: label can never grow without bound.
_LABEL = re.compile(r"[a-z0-9_]{1,40}")


def _label(value: str | None, default: str) -> str:
    if not value:
        return default
    return value if _LABEL.fullmatch(value) else "other"


def count_audit_event(row: AuditEvent) -> None:
    """Logins by outcome, factor and reason; lockouts by reason (called once committed)."""
    metrics = process_metrics()
    factor = _label(row.mfa_factor_type, "none")
    if row.event == AuditEventName.SIGN_IN_SUCCEEDED.value:
        metrics.logins.labels("succeeded", factor, "").inc()
    elif row.event == AuditEventName.SIGN_IN_FAILED.value:
        metrics.logins.labels("failed", factor, _label(row.reason, "unknown")).inc()
    elif row.event == AuditEventName.ACCOUNT_LOCKED.value:
        metrics.lockouts.labels(_label(row.reason, "unknown")).inc()


def count_mail_outcome(_message: MailMessage, outcome: str) -> None:
    process_metrics().mail.labels(outcome).inc()


def step_type_at(flow: Flow, path: str) -> str:
    """The type of the step at ``path`` (``password``, ``totp``...), "unknown" for none."""
    try:
        execution = flow.find(path)
    except KeyError:
        return "unknown"
    return execution.step.type if isinstance(execution, StepExecution) else "unknown"


def count_step(step: str, seconds: float) -> None:
    process_metrics().steps.labels(_label(step, "unknown")).observe(seconds)


def count_store_error(store: str) -> None:
    process_metrics().store_errors.labels(store).inc()


def watch_database_errors(engine: Engine) -> None:
    """Count every error the database driver raises on ``engine`` (connection refused, a
    statement timeout, a dropped connection after a failover...)."""

    def _failed(_context: Any) -> None:
        count_store_error("database")

    event.listen(engine, "handle_error", _failed)


def metered_session() -> requests.Session:
    """A ``requests`` session whose requests are timed and counted (``bridge.observability.
    upstream``). Imported on the first upstream request: a worker whose users never sign in
    through another provider never loads ``requests`` (about 5 MiB, issue 16)."""
    import requests

    from bridge.observability.upstream import metered

    return metered(requests.Session())
