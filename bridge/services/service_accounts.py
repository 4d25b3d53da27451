"""Service accounts as seed 000 means them: accounts of integrations, whose 2FA is off.

- They never have a second factor, and nothing turns one on: enrolling (the account page, the
  login's enrolment step) and an admin's "require 2FA" are refused with
  ``ServiceAccountWithoutMfa``, whose message says why.
- They authenticate only with app passwords (``bridge.services.app_passwords``, created by an
  admin of their organisation) or as API clients: their account password signs in nowhere,
  neither on the browser's sign-in page nor over Basic authentication.
- Converting a person into one deletes their authenticator, recovery codes and trusted browsers
  (counted in the ``converted_to_service_account`` audit event) and keeps their app passwords;
  converting back makes them a person again: the 2FA rules apply from the next login, with a new
  authenticator if one is required. ``CONVERSIONS`` says so in words the faces show.
"""

from __future__ import annotations

from sqlalchemy import select

from bridge.domain.errors import ServiceAccountWithoutMfa
from bridge.domain.wording import N_
from bridge.storage.db.engine import Database
from bridge.storage.db.models import User

NO_MFA = N_(
    "This is a service account, for an integration: service accounts never use two-factor "
    "authentication. They sign in with app passwords, created by an admin of their "
    "organisation, or as API clients."
)

#: What a conversion does to the account's factors, for the command line and the console.
CONVERSIONS = {
    "to-service-account": "its authenticator, recovery codes and trusted browsers were deleted "
    "and it signs in only with app passwords (kept) or as an API client",
    "from-service-account": "the 2FA rules apply from its next login, with a new authenticator "
    "if one is required; its app passwords are kept",
}


def is_service_account(db: Database, user_id: str) -> bool:
    with db.session() as session:
        return bool(session.scalar(select(User.service_account).where(User.id == user_id)))


def refuse_service_account(db: Database, user_id: str) -> None:
    """``ServiceAccountWithoutMfa`` when the user is a service account."""
    if is_service_account(db, user_id):
        raise ServiceAccountWithoutMfa(NO_MFA)
