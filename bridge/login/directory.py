"""The bridge's implementation of the flow engine's ``Directory`` port.

**Lockout lives here, and only here** (R8): every password and every code (TOTP or recovery)
that a login flow judges goes through this class, which takes a lockout slot *before* judging
(``bridge.services.lockout``) with the user's effective policy (the strictest of their
organisations).
The login service binds one directory per request with ``bound(...)`` so that it knows the
request's IP, User-Agent and trusted-browser cookie (``RequestFacts``: inputs only). A bound
directory reads what it knows of a user once for its request (``bridge.services.subjects``:
the row, organisations, roles, TOTP, recovery codes) and reads it again after a change it made
itself (a failure counted, an enrolment confirmed, a code used). What a
check decides comes back through the port: a ``Verdict`` for every code (``locked`` and
``restart`` end the login through the flow), a ``DeviceTrust`` for a browser trusted now.

Upstream logins (issue 6): ``upstream_login_url`` names the provider the ``idp_redirect``
step sends the browser to (a named provider, else home-realm discovery from the login hint),
and the request-bound ``upstream_start`` makes the URL of ``/federation/<alias>/start`` for
this login. The login views bind none while the login may not leave (prompt=none, a login
back from a provider, a local account proven for linking): then no provider matches.

Without the issue 5 and 6 services (tests of the flows alone) the old conservative answers
apply: no recovery code is valid, no browser is trusted, nothing is counted, no provider
matches.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Protocol

from bridge.services.lockout import Lockout, LockoutPolicy, Outcome, Submission
from bridge.services.orgs.policy import MfaPolicy
from bridge.services.recovery import RecoveryCodes
from bridge.services.subjects import Subject, load_subject, load_subject_named
from bridge.services.totp import TotpService
from bridge.services.trusted_devices import TrustedDevices, describe_user_agent, trust_days
from bridge.services.users import UserService, normalise_username
from bridge.storage.db.engine import Database
from bridge.storage.db.models import User
from flows.context import DeviceTrust, EnrolmentOffer, PasswordCheck, UserFacts, Verdict

#: The URL that starts this login at a provider: ``(alias, login_hint) -> URL``.
UpstreamStart = Callable[[str, str | None], str]


class _Provider(Protocol):
    @property
    def alias(self) -> str: ...


class _Providers(Protocol):
    def get(self, alias: str) -> _Provider | None: ...


class _HomeRealm(Protocol):
    def provider_for(self, email_or_hint: str) -> _Provider | None: ...


@dataclass(frozen=True)
class RequestFacts:
    """What the directory knows of the request it serves (inputs only; nothing comes back)."""

    ip: str | None = None
    user_agent: str | None = None
    trust_token: str | None = None  # the trusted-browser cookie the browser sent
    upstream_start: UpstreamStart | None = None  # None: this login may not leave for a provider


class BridgeDirectory:
    def __init__(
        self,
        users: UserService,
        totp: TotpService,
        *,
        mfa_required: bool,
        policy: MfaPolicy | None = None,
        db: Database | None = None,
        lockout: Lockout | None = None,
        recovery: RecoveryCodes | None = None,
        trusted_devices: TrustedDevices | None = None,
        providers: _Providers | None = None,
        home_realm: _HomeRealm | None = None,
    ) -> None:
        self._users = users
        self._totp = totp
        self._mfa_required = mfa_required
        # Organisations decide who needs 2FA (bridge.services.orgs.policy); ``mfa_required`` (the
        # setting ``mfa.required``) is the answer for users in no organisation.
        # Without a policy (tests of the flows alone), ``mfa_required`` applies to everyone.
        self._policy = policy
        self._db = db
        self._lockout = lockout
        self._recovery = recovery
        self._trusted = trusted_devices
        self._providers = providers
        self._home_realm = home_realm
        self.request = RequestFacts()
        # The users a bound directory read for its request; None: read every time (unbound).
        self._known: dict[str, Subject | None] | None = None
        self._submission: Submission | None = None

    def bound(
        self,
        *,
        ip: str | None,
        user_agent: str | None,
        trust_token: str | None,
        upstream_start: UpstreamStart | None = None,
        submission: Submission | None = None,
    ) -> BridgeDirectory:
        """A directory for one request: same services, this request's facts.

        ``upstream_start`` makes the URL that starts this login at a provider; None while the
        login may not leave for one (then ``upstream_login_url`` is None). ``submission``: the
        login submission being judged, whose right answers' forgiveness waits for it to be
        settled (``Lockout.settle``); None: forgiven at once.
        """
        bound = copy.copy(self)
        bound.request = RequestFacts(
            ip=ip, user_agent=user_agent, trust_token=trust_token, upstream_start=upstream_start
        )
        bound._known = {}
        bound._submission = submission
        return bound

    # --- what the request knows of a user -------------------------------------------------

    def _subject(self, user_id: str) -> Subject | None:
        """The user with their organisations, TOTP and recovery codes, read once per bound
        request."""
        known = self._known
        if known is not None and user_id in known:
            return known[user_id]
        subject = self._load_subject(user_id)
        if known is not None:
            known[user_id] = subject
        return subject

    def subject_read(self, user_id: str | None) -> Subject | None:
        """The user as this bound request has read them already (None: not read, or read
        again since a change), for what else the request shows of them (the page's language)."""
        if user_id is None or self._known is None:
            return None
        return self._known.get(user_id)

    def _load_subject(self, user_id: str) -> Subject | None:
        if self._db is not None:
            return load_subject(self._db, user_id)
        user = self._users.get(user_id)  # no organisations without the database
        if user is None:
            return None
        codes = self._recovery.remaining(user_id) if self._recovery else 0
        return Subject(user, (), frozenset(), self._totp.has_totp(user_id), codes)

    def _changed(self) -> None:
        """This request changed what it knows (a failure counted, a factor used or added)."""
        if self._known is not None:
            self._known.clear()

    def lockout_policy(self, user_id: str) -> LockoutPolicy:
        """The user's effective lockout policy: the strictest of their organisations' (R14)."""
        subject = self._subject(user_id)
        return LockoutPolicy() if subject is None else subject.lockout_policy

    # --- passwords and codes, counted ------------------------------------------------------

    def _subject_named(self, username: str) -> Subject | None:
        """The account a sign-in names (``UserService.find_for_sign_in``) with what the login
        asks of it: by username in one query, else by its sign-in e-mail address."""
        if self._db is None:
            user = self._users.find_for_sign_in(username)
            return None if user is None else self._subject(user.id)
        subject = load_subject_named(self._db, normalise_username(username))
        if subject is None:
            user = self._users.find_by_sign_in_email(username)
            return None if user is None else self._subject(user.id)
        if self._known is not None:
            self._known[subject.user.id] = subject
        return subject

    def check_password(self, username: str, password: str) -> PasswordCheck:
        if self._lockout is None:
            return self._check_password(self._users.find_for_sign_in(username), password)
        subject = self._subject_named(username)
        if subject is None:
            return self._check_password(None, password)
        user = subject.user
        policy = subject.lockout_policy
        attempt = self._lockout.attempt(
            user.id, "password", policy, locked=subject.locked, submission=self._submission
        )
        if not attempt.allowed:
            # Over the threshold in a parallel burst: refused unjudged, same message.
            return PasswordCheck(user_id=None, reason="too_many_attempts", known_user_id=user.id)
        check = self._check_password(user, password)
        if check.user_id is None and check.reason in ("wrong_password", "no_password"):
            self._lockout.failed(
                attempt, policy, ip=self.request.ip, user_agent=self.request.user_agent
            )
            self._changed()
            return check
        if check.user_id is None and check.reason != "locked" and not attempt.locked:
            return check  # the right password of an unusable (disabled) account
        if attempt.locked or check.reason == "locked":
            # Only someone who knows the password learns that the account is locked (R8).
            return PasswordCheck(user_id=None, reason="locked", known_user_id=user.id)
        self._lockout.succeeded(attempt, self._submission)
        return check

    def _check_password(self, user: User | None, password: str) -> PasswordCheck:
        check = self._users.check_password_of(user, password)
        if check.user_id is not None:
            # Asked again: the account may have been locked while the password was verified.
            state = self._users.sign_in_state(check.user_id)
            if state is not None and state.locked:
                return PasswordCheck(user_id=None, reason="locked", known_user_id=check.user_id)
            if state is not None and state.service_account:
                # Seed 000: an integration's account signs in with app passwords or as an API
                # client, never with its password on a browser page.
                return PasswordCheck(
                    user_id=None, reason="service_account", known_user_id=check.user_id
                )
        return check

    def _judge_code(self, user_id: str, judge: Callable[[], bool]) -> Verdict:
        """Judge one code (TOTP or recovery: both are "codes" to the lockout) within a slot."""
        if self._lockout is None:
            return Verdict.OK if judge() else Verdict.WRONG
        subject = self._subject(user_id)
        policy = LockoutPolicy() if subject is None else subject.lockout_policy
        locked = None if subject is None else subject.locked
        attempt = self._lockout.attempt(
            user_id, "code", policy, locked=locked, submission=self._submission
        )
        if not attempt.allowed:
            restart = not attempt.locked and policy.action == "restart"
            return Verdict.RESTART if restart else Verdict.LOCKED
        if judge():
            self._lockout.succeeded(attempt, self._submission)
            return Verdict.OK
        outcome = self._lockout.failed(
            attempt, policy, ip=self.request.ip, user_agent=self.request.user_agent
        )
        self._changed()
        if outcome is Outcome.LOCKED:
            return Verdict.LOCKED
        if outcome is Outcome.RESTART:
            return Verdict.RESTART
        return Verdict.WRONG

    def user_facts(self, user_id: str) -> UserFacts | None:
        subject = self._subject(user_id)
        if subject is None:
            return None
        if self._policy is None:  # ``mfa_required`` applies to everyone
            facts = subject.facts(default_mfa_required=self._mfa_required)
            return replace(facts, mfa_required=self._mfa_required, roles=frozenset())
        return subject.facts(default_mfa_required=self._policy.default_required)

    def verify_totp(self, user_id: str, code: str) -> Verdict:
        subject = self._subject(user_id) if self._db is not None else None
        if subject is None:
            return self._judge_code(user_id, lambda: self._totp.verify(user_id, code))
        # The credential this request read with the user: no second read (issue 16).
        credential = subject.totp
        return self._judge_code(user_id, lambda: self._totp.verify_with(credential, code))

    def _account_name(self, user_id: str) -> str:
        subject = self._subject(user_id)
        return subject.user.username if subject else user_id

    def start_totp_enrolment(self, user_id: str) -> EnrolmentOffer:
        return self._totp.start_enrolment(user_id, self._account_name(user_id))

    def totp_enrolment_offer(self, user_id: str, credential_id: str) -> EnrolmentOffer | None:
        return self._totp.offer(user_id, credential_id, self._account_name(user_id))

    def confirm_totp_enrolment(self, user_id: str, credential_id: str, code: str) -> bool:
        try:
            return self._totp.confirm_enrolment(user_id, credential_id, code)
        finally:
            self._changed()

    def has_recovery_codes(self, user_id: str) -> bool:
        if self._recovery is None:
            return False
        subject = self._subject(user_id)
        return subject is not None and subject.recovery_codes > 0

    def verify_recovery_code(self, user_id: str, code: str) -> Verdict:
        recovery = self._recovery
        if recovery is None:
            return Verdict.WRONG
        facts = self.request
        try:
            return self._judge_code(
                user_id,
                lambda: recovery.use(user_id, code, ip=facts.ip, user_agent=facts.user_agent),
            )
        finally:
            self._changed()

    def device_is_trusted(self, user_id: str, device: str | None) -> bool:
        """This browser's trusted-browser cookie (bound per request; ``device`` is the browser
        id, which is not secret enough to trust on its own) belongs to the user, is unexpired,
        and the user's organisations still allow trusted browsers."""
        if self._trusted is None or self.request.trust_token is None:
            return False
        if self.trusted_device_days(user_id) is None:
            return False
        return self._trusted.is_trusted(user_id, self.request.trust_token)

    def trusted_device_days(self, user_id: str) -> int | None:
        """The days the user may trust this browser (``trust_days``); None: not."""
        if self._trusted is None:
            return None
        subject = self._subject(user_id)
        return trust_days(() if subject is None else subject.organisations)

    def trust_device(self, user_id: str, device: str | None) -> DeviceTrust | None:
        days = self.trusted_device_days(user_id)
        if self._trusted is None or days is None:
            return None
        facts = self.request
        token = self._trusted.trust(
            user_id,
            describe_user_agent(facts.user_agent),
            days,
            ip=facts.ip,
            user_agent=facts.user_agent,
        )
        return DeviceTrust(token, days)

    # --- upstream providers ----------------------------------------------------------------

    def upstream_login_url(self, provider: str | None, login_hint: str | None) -> str | None:
        """``/federation/<alias>/start`` for this login: the provider named (an unknown alias
        matches nothing), else the one home-realm discovery finds for ``login_hint``; None
        when none matches or this login may not leave for a provider now."""
        start = self.request.upstream_start
        if start is None or self._providers is None:
            return None
        found: _Provider | None = None
        if provider is not None:
            found = self._providers.get(provider)
        elif login_hint and self._home_realm is not None:
            found = self._home_realm.provider_for(login_hint)
        return None if found is None else start(found.alias, login_hint)
