"""Deleting what users set up as a second factor, inside the caller's transaction.

``wipe_second_factors`` is what an admin's "reset 2FA", turning enforcement off with
``on_disable: wipe`` and the conversion to a service account use: the TOTP secret, the recovery
codes and the trusted browsers go together, so nothing is left that skips or replaces the
factor that was removed.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import delete
from sqlalchemy.orm import Session

from bridge.services.recovery import delete_recovery_codes
from bridge.services.trusted_devices import delete_trusted_devices
from bridge.storage.db.engine import affected_rows
from bridge.storage.db.models import TotpCredential


@dataclass(frozen=True)
class Removed:
    totp: int
    recovery_codes: int
    trusted_devices: int

    def as_json(self) -> dict[str, int]:
        return {
            "totp": self.totp,
            "recovery_codes": self.recovery_codes,
            "trusted_devices": self.trusted_devices,
        }


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


def wipe_second_factors(session: Session, user_ids: Collection[str]) -> Removed:
    """Delete the TOTP secrets, recovery codes and trusted browsers of these users."""
    return Removed(
        totp=delete_second_factors(session, user_ids),
        recovery_codes=delete_recovery_codes(session, user_ids),
        trusted_devices=delete_trusted_devices(session, user_ids),
    )
