"""Deleting what a user set up as a second factor, inside the caller's transaction.

Used by an admin's "reset 2FA", by turning enforcement off with ``on_disable: wipe`` and by the
conversion to a service account. Recovery codes and trusted browsers join here when they exist.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import delete
from sqlalchemy.orm import Session

from bridge.db.engine import affected_rows
from bridge.db.models import TotpCredential


def delete_second_factors(session: Session, user_ids: Collection[str]) -> int:
    """Delete every TOTP credential (confirmed or not) of these users; return how many."""
    if not user_ids:
        return 0
    result = session.execute(
        delete(TotpCredential)
        .where(TotpCredential.user_id.in_(list(user_ids)))
        .execution_options(synchronize_session=False)
    )
    return affected_rows(result)
