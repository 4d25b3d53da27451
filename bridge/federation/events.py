"""Audit events of upstream logins (R17), so every refused answer leaves a record."""

from __future__ import annotations

from bridge.domain.events import AuditEventName
from bridge.federation.errors import UpstreamError
from bridge.services.audit import AuditLog

#: ``mfa_factor_type`` of a sign-in through an upstream provider.
FACTOR_TYPE = "federated"


def record_upstream_failure(
    audit: AuditLog,
    error: UpstreamError,
    *,
    client_id: str | None = None,
    ip: str | None = None,
    user_agent: str | None = None,
) -> None:
    """``sign_in_failed`` with the error's reason and its details (never a token or a secret)."""
    audit.record(
        AuditEventName.SIGN_IN_FAILED,
        client_id=client_id,
        ip=ip,
        user_agent=user_agent,
        mfa_factor_type=FACTOR_TYPE,
        reason=error.reason,
        details={"error": type(error).__name__, **error.details},
    )
