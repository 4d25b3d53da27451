"""Bringing users from another identity provider, and the bridge's own export read back.

Each source has a reader that turns its files into ``ImportedUser`` records (the pivot type) and
``Problem`` lines, never raising for one bad record: ``keycloak`` (a realm export),
``authelia`` (``users_database.yml`` and a TOTP export), ``generic`` (CSV or JSON Lines with
``otpauth://`` URIs) and ``bridge_file`` (``bridge export``). ``Importer`` (``runner``) writes
them, one savepoint and one audit event per user, one audit event per run.
"""

from bridge.services.imports.records import (
    ImportedTotp,
    ImportedUser,
    ImportFailed,
    Membership,
    OrgSpec,
    Problem,
    Source,
)
from bridge.services.imports.runner import Importer, ImportReport, Outcome

__all__ = [
    "ImportFailed",
    "ImportReport",
    "ImportedTotp",
    "ImportedUser",
    "Importer",
    "Membership",
    "OrgSpec",
    "Outcome",
    "Problem",
    "Source",
]
