"""Refusals of the account's lifecycle (issue 14): rename, new e-mail address, deletion."""

from __future__ import annotations

from bridge.domain.errors import Conflict, InvalidInput
from bridge.domain.wording import N_


class InvalidEmail(InvalidInput):
    """Not an e-mail address the bridge can send to (``bridge.domain.validators.normal_email``)."""

    code = "invalid-email"
    title = N_("The e-mail address is not valid")


class LastAdmin(Conflict):
    """The account is the only admin of an organisation: deleting it would leave the
    organisation with nobody to run it."""

    code = "last-admin"
    title = N_("The user is the only admin of an organisation")
