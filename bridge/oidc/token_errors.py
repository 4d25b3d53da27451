"""The token service's refusal when a grant loses its client or user mid-exchange."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from bridge.storage.db.unit import abandon_current_unit


class OrphanedGrantError(Exception):
    """The code's client (``client_gone``) or user was removed while the code was exchanged:
    the grant cannot be recorded, and the request's changes were rolled back."""

    def __init__(self, *, client_gone: bool) -> None:
        super().__init__("client removed" if client_gone else "user removed")
        self.client_gone = client_gone


def orphaned(error: IntegrityError) -> OrphanedGrantError:
    """A grant refused by a foreign key: its client or user row went away after the request
    read it (a removal racing the exchange, or a client row deleted by hand while a process
    kept its copy, see ``bridge.services.client_records``). The transaction is unusable: the
    unit is rolled back, and the request is answered as if the row had been missing."""
    abandon_current_unit()
    return OrphanedGrantError(client_gone="client" in str(error.orig))
