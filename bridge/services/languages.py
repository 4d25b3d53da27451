"""Languages: a person's own choice and an organisation's default (issue 13).

The order in which a page picks its language is the domain's (``bridge.domain.language``);
this service reads and changes what the database holds for it. English is the fallback of every
message; ``ui.language`` is the configured default.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, or_, select, update

from bridge.domain.clock import Clock, utc_datetime
from bridge.domain.errors import InvalidInput, NotFound
from bridge.domain.events import AuditEventName
from bridge.domain.language import LANGUAGES, Known, supported
from bridge.domain.wording import N_, Phrase
from bridge.services.audit import AuditLog
from bridge.storage.db.engine import Database, affected_rows
from bridge.storage.db.models import Membership, Organisation, User


class UnknownLanguage(InvalidInput):
    """A language the bridge has no pages in."""

    code = "unknown-language"
    title = N_("The language is not available")


def checked_language(language: str | None) -> str | None:
    """``language`` as stored (``de-AT`` is ``de``); None clears the choice."""
    if language is None or not language.strip():
        return None
    found = supported(language)
    if found is None:
        raise UnknownLanguage(
            Phrase(
                "There are no pages in %(language)s: choose one of %(languages)s.",
                language=repr(language[:20]),
                languages=", ".join(LANGUAGES),
            ),
            field="language",
        )
    return found


def named(org: str) -> ColumnElement[bool]:
    """The organisation whose id or slug is ``org``."""
    return or_(Organisation.id == org, Organisation.slug == org)


def read_already(
    user: User, organisations: Sequence[Organisation], org_id: str | None
) -> tuple[Known, Known | None]:
    """What ``Languages.saved`` and ``Languages.of_organisation(org_id, user.id)`` answer,
    from the person's row and organisations a request has read already. The organisation's
    default is None (ask) when the rows cannot tell for sure: the login's organisation is not
    one of theirs, or theirs hold different defaults (the first by name is the database's
    collation to decide)."""
    saved = Known(user.language)
    if org_id is not None:
        login_org = next((org for org in organisations if org_id in (org.id, org.slug)), None)
        if login_org is None:
            return saved, None
        if login_org.default_language:
            return saved, Known(login_org.default_language)
    defaults = {org.default_language for org in organisations if org.default_language}
    if len(defaults) > 1:
        return saved, None
    return saved, Known(next(iter(defaults), None))


class Languages:
    def __init__(self, db: Database, clock: Clock, audit: AuditLog) -> None:
        self._db = db
        self._clock = clock
        self._audit = audit

    def saved(self, user_id: str) -> str | None:
        """The person's own choice, or None."""
        with self._db.session() as session:
            return session.scalar(select(User.language).where(User.id == user_id))

    def of_organisation(self, org_id: str | None, user_id: str | None) -> str | None:
        """The default of the login's organisation (its id or slug: a login request names it
        by slug); without one, the first default (by name)
        among the person's organisations; None when none has one. With neither (the password
        page of a login that names no organisation) there is nothing to ask: no transaction."""
        if org_id is None and user_id is None:
            return None
        with self._db.session() as session:
            if org_id is not None:
                found = session.scalar(select(Organisation.default_language).where(named(org_id)))
                if found:
                    return found
            if user_id is None:
                return None
            return session.scalar(
                select(Organisation.default_language)
                .join(Membership, Membership.org_id == Organisation.id)
                .where(Membership.user_id == user_id, Organisation.default_language.is_not(None))
                .order_by(Organisation.name)
                .limit(1)
            )

    def choose(self, user_id: str, language: str | None) -> str | None:
        """The person chooses their language (None: as the browser says)."""
        stored = checked_language(language)
        with self._db.session() as session:
            result = session.execute(
                update(User)
                .where(User.id == user_id)
                .values(language=stored, updated_at=utc_datetime(self._clock))
            )
            if affected_rows(result) != 1:
                raise NotFound(N_("There is no such user."))
        return stored

    def set_organisation_default(
        self, org_id: str, language: str | None, *, actor_id: str | None = None
    ) -> str | None:
        """The organisation's default for members who chose none (None: the configured one).
        Recorded in the audit log as a change of the organisation's policy."""
        stored = checked_language(language)
        with self._db.session() as session:
            result = session.execute(
                update(Organisation)
                .where(Organisation.id == org_id)
                .values(default_language=stored)
            )
            if affected_rows(result) != 1:
                raise NotFound(N_("There is no such organisation."))
        self._audit.record(
            AuditEventName.ORG_POLICY_CHANGED,
            actor_id=actor_id,
            org_id=org_id,
            details={"default_language": stored},
        )
        return stored
