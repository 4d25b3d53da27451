"""The login as an application service: every entry point starts and continues logins here.

``/authorize``, the account pages, the admin console and the federation callback all call
``start`` (or ``restart_as``); the login pages call ``advance`` (GET), ``submit`` (POST) and
``choose`` ("try another way"). Each returns a typed screen for the web layer to render
(``ShowStep``, ``GoTo``, ``SignedIn``, ``DeniedToClient``) or raises a refusal of
``bridge.login.errors``. No Flask here: what the web layer knows of the request comes in as a
``Visit``, and the URLs it serves as ``Links``. What happens once the flow completes is
``bridge.login.hooks``; around a judged answer, ``bridge.login.judging``; on a step's page,
``bridge.login.step_page``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Literal

import flows
from bridge.domain.errors import ACCOUNT_LOCKED
from bridge.domain.wording import N_
from bridge.federation.login import finish_local_proof
from bridge.login import required_password
from bridge.login.continuation import AnswerAuthorization, Continuation, Then
from bridge.login.directory import BridgeDirectory
from bridge.login.errors import (
    AccountLocked,
    LoginFinished,
    LoginRestarted,
    LoginStopped,
)
from bridge.login.hooks import Finishing, after_login, earned
from bridge.login.judging import after_enrolment, audit_failure, home_realm_redirect, judging
from bridge.login.pending import PendingLogin
from bridge.login.screens import DeniedToClient, GoTo, Links, Screen, ShowStep, Visit
from bridge.login.step_page import step_page
from bridge.login.vault import RecoveryCodeVault
from bridge.observability.recording import count_step, step_type_at
from bridge.services.account.notices import notify_factor_change
from bridge.services.lockout import Submission
from bridge.storage.ephemeral.base import Put

if TYPE_CHECKING:
    from bridge.services.container import Services

log = logging.getLogger(__name__)

FlowKind = Literal["browser", "federated"]

#: The reasons of a ``Deny`` by which the lockout ends a login (R8).
LOCKOUT_ENDS = ("locked", "restart")


class LoginService:
    def __init__(self, services: Services, links: Links) -> None:
        self._s = self.services = services
        self._links = links
        self.vault = RecoveryCodeVault(services.keyring)

    # --- starting --------------------------------------------------------------------------

    def start(self, request: flows.LoginRequest, then: Then, browser_id: str) -> str:
        """A new login with the browser flow bound for its client and organisation."""
        flow = self._flow("browser", request)
        state = flows.start(flow, request, int(self._s.clock()))
        return self._s.pending.create(state, browser_id, Continuation(then))

    def restart_as(
        self,
        flow_id: str,
        pending: PendingLogin,
        request: flows.LoginRequest,
        continuation: Continuation,
        *,
        federated_user: str | None = None,
        federated_auth_time: int | None = None,
        amr: tuple[str, ...] = (),
    ) -> GoTo:
        """The same pending login goes on with another flow (federated, or a local proof)."""
        kind: FlowKind = "federated" if federated_user is not None else "browser"
        flow = self._flow(kind, request)
        state = flows.start(
            flow,
            request,
            int(self._s.clock()),
            federated_user=federated_user,
            federated_auth_time=federated_auth_time,
        )
        if amr:
            state.amr = list(amr)
        self._s.pending.save(flow_id, PendingLogin(state, continuation, pending.browser))
        return GoTo(self._links.step(flow_id))

    def _flow(self, kind: FlowKind, request: flows.LoginRequest) -> flows.Flow:
        """The flow of ``kind`` bound for the request's client, else organisation, else global."""
        flow_id = self._s.settings.flows.flow_for(kind, request.client_id, request.org_id)
        return self._s.flows.get(flow_id)

    # --- running ---------------------------------------------------------------------------

    def load(self, flow_id: str, visit: Visit) -> PendingLogin:
        """This browser's pending login; ``PendingLoginError`` otherwise."""
        return self._s.pending.load(flow_id, visit.browser_id)

    def advance(self, flow_id: str, visit: Visit) -> Screen:
        pending = self.load(flow_id, visit)
        directory = self._directory(flow_id, pending, visit)
        outcome = flows.advance(self._flow_of(pending), pending.flow, self._run(directory, visit))
        return self._respond(flow_id, pending, outcome, directory, visit, judged=None)

    def choose(self, flow_id: str, visit: Visit, path: str) -> Screen:
        """Try another way: switch to the alternative at ``path``."""
        with judging(self._s, flow_id, visit) as (judged, pending):
            directory = self._directory(flow_id, pending, visit, judged)
            ctx = self._run(directory, visit)
            outcome = flows.try_another_way(self._flow_of(pending), pending.flow, ctx, path)
            judged.failed = outcome.failure is not None
            return self._after_answer(flow_id, pending, outcome, directory, visit, judged)

    def submit(
        self,
        flow_id: str,
        visit: Visit,
        path: str,
        answer: Mapping[str, str],
        *,
        trust: bool | None = None,
    ) -> Screen:
        """Answer the challenge at ``path``. ``trust`` is the code page's checkbox (None when
        the page had none): it answers the flow's "trust this browser?" question that follows."""
        with judging(self._s, flow_id, visit) as (judged, pending):
            upstream = home_realm_redirect(self._s, self._links, flow_id, pending, answer)
            if upstream is not None:
                return upstream
            flow = self._flow_of(pending)
            directory = self._directory(flow_id, pending, visit, judged)
            ctx = self._run(directory, visit)
            calls = flows.Calls(flow, pending.flow, ctx)  # the checkbox's answer goes on from it
            started = time.perf_counter()
            outcome = calls.submit(path, answer)
            count_step(step_type_at(flow, path), time.perf_counter() - started)
            enrolled = any(done.step == "totp_enrol" for done in outcome.done)
            if (
                trust is not None
                and isinstance(outcome, flows.NeedsInput)
                and outcome.challenge.step == "trust_device"
            ):
                # The code page's checkbox answers the flow's "trust this browser?" question.
                answer_trust = {"trust": "yes" if trust else "no"}
                outcome = calls.submit(outcome.challenge.path, answer_trust)
            judged.failed = outcome.failure is not None
            user_id = pending.flow.user_id
            if enrolled and user_id is not None:
                pending.continuation = after_enrolment(self._s, self.vault, pending, user_id, visit)
            return self._after_answer(flow_id, pending, outcome, directory, visit, judged)

    def _after_answer(
        self,
        flow_id: str,
        pending: PendingLogin,
        outcome: flows.Outcome,
        directory: BridgeDirectory,
        visit: Visit,
        judged: Submission,
    ) -> Screen:
        screen = self._respond(flow_id, pending, outcome, directory, visit, judged=judged)
        if outcome.trust is not None and pending.flow.user_id is not None:
            notify_factor_change(self._s, pending.flow.user_id, "device_trusted")
            if not isinstance(screen, ShowStep):
                screen = replace(screen, trust=outcome.trust)
        return screen

    def _respond(
        self,
        flow_id: str,
        pending: PendingLogin,
        outcome: flows.Outcome,
        directory: BridgeDirectory,
        visit: Visit,
        *,
        judged: Submission | None,
    ) -> Screen:
        """The screen for ``outcome``; the login of an answer (``judged``: its submission) is
        written with the submission's other values when it is settled (one store call)."""
        audit_failure(self._s, pending, outcome.failure, visit)
        later = None if judged is None else judged.puts
        if pending.continuation.sealed_recovery_codes is not None and isinstance(
            outcome, flows.NeedsInput | flows.Completed
        ):
            # New recovery codes are shown, once, before the login goes on.
            self._s.pending.save(flow_id, pending, later=later)
            return GoTo(self._links.recovery_codes(flow_id))
        if isinstance(outcome, flows.NeedsInput):
            challenge = outcome.challenge
            if judged is not None:
                if outcome.failure is not None and outcome.failure.reason == "locked":
                    # The right password of a locked account (R8): now, and only now, say so,
                    # and whom to ask (as the page of an account locked by codes does).
                    pending.errors[challenge.path] = [ACCOUNT_LOCKED]
                    pending.locked_contacts = self._s.members.admin_contacts(
                        outcome.failure.user_id
                    )
                elif challenge.errors:
                    pending.errors[challenge.path] = list(challenge.errors)
                self._s.pending.save(flow_id, pending, later=later)
                return GoTo(self._links.step(flow_id))
            screen = step_page(self._s, flow_id, pending, challenge, directory)
            self._s.pending.shown(flow_id, pending)
            return screen
        if isinstance(outcome, flows.Completed):
            read = directory.subject_read(outcome.result.user_id)
            if required_password.due(self._s, outcome.result, read):
                return self._new_password_first(flow_id, pending, later)
            return self._finish(flow_id, pending, outcome.result, visit, later)
        if isinstance(outcome, flows.Denied):
            return self._deny(flow_id, pending, outcome)
        self._s.pending.save(flow_id, pending, later=later)
        return GoTo(outcome.url)

    # --- the end ---------------------------------------------------------------------------

    def _finish(
        self,
        flow_id: str,
        pending: PendingLogin,
        result: flows.FlowResult,
        visit: Visit,
        later: list[Put] | None,
    ) -> Screen:
        link = pending.continuation.link
        if link is not None and flows.outcomes.FEDERATED not in result.amr:
            # The local account's password (and code) proven: link the upstream identity,
            # then the federated flow finishes the login (bridge.federation.login).
            return finish_local_proof(self, flow_id, pending, result.user_id)
        if not self._end(flow_id, pending.continuation.then):
            raise LoginFinished("Please start again.")
        amr, factor_type = earned(result)
        finishing = Finishing(
            pending=pending,
            result=replace(result, amr=amr),
            factor_type=factor_type,
            visit=visit,
            later=later,
        )
        return after_login(self._s, finishing)

    def _end(self, flow_id: str, then: Then) -> bool:
        """End the login (True for the one request that ended it); when it answers an
        authorization request with a nonce, that nonce's mark is read in the same store call,
        for the code about to be issued (``TokenService.nonce_was_used``)."""
        params = then.params if isinstance(then, AnswerAuthorization) else {}
        nonce, client_id = params.get("nonce"), params.get("client_id")
        if not nonce or not client_id:
            return self._s.pending.finish(flow_id)
        key = self._s.tokens.nonce_key(client_id, nonce)
        ended, mark = self._s.pending.finish_reading(flow_id, key)
        if ended:
            self._s.tokens.nonce_read(key, mark)
        return ended

    def _new_password_first(
        self, flow_id: str, pending: PendingLogin, later: list[Put] | None
    ) -> Screen:
        """Every factor is proven, but the password is a temporary one (issue 14): the person
        chooses a new one before the login finishes; a login that may show no page ends."""
        if not pending.flow.request.interactive:
            self._s.pending.finish(flow_id)
            then = pending.continuation.then
            if isinstance(then, AnswerAuthorization):
                return DeniedToClient(
                    then.params, "login_required", "The user must choose a new password."
                )
            raise LoginStopped(N_("Sign in again to choose a new password."))
        pending.continuation = pending.continuation.with_(password_change_due=True)
        self._s.pending.save(flow_id, pending, later=later)
        return GoTo(self._links.new_password(flow_id))

    def _deny(self, flow_id: str, pending: PendingLogin, outcome: flows.Denied) -> Screen:
        """End a login the flow refused. The flow's own message is for operators, not users."""
        self._s.pending.finish(flow_id)
        if outcome.reason in LOCKOUT_ENDS:
            # The lockout ended this login: the account locked now, or the ``restart`` policy.
            if outcome.reason == "locked":
                raise AccountLocked(contacts=self._s.members.admin_contacts(pending.flow.user_id))
            raise LoginRestarted(outcome.message)
        log.info("login flow denied: %s (%s)", outcome.reason, outcome.message)
        then = pending.continuation.then
        if isinstance(then, AnswerAuthorization):
            if outcome.reason == "login_required":
                error, description = "login_required", "The user must sign in interactively."
            else:
                error, description = "access_denied", "The sign-in was not completed."
            return DeniedToClient(then.params, error, description)
        raise LoginStopped(
            N_("Your sign-in could not be completed. Start again, or ask your administrator.")
        )

    # --- per request -----------------------------------------------------------------------

    def _flow_of(self, pending: PendingLogin) -> flows.Flow:
        return self._s.flows.get(pending.flow.flow_id)

    def _run(self, directory: BridgeDirectory, visit: Visit) -> flows.RunContext:
        session = self._s.sessions.get(visit.session_token)
        existing = (
            None
            if session is None
            else flows.ExistingSession(session.user_id, session.amr, session.auth_time, session.acr)
        )
        return flows.RunContext(
            directory=directory, session=existing, now=int(self._s.clock()), device=visit.browser_id
        )

    def _directory(
        self,
        flow_id: str,
        pending: PendingLogin,
        visit: Visit,
        submission: Submission | None = None,
    ) -> BridgeDirectory:
        """The directory for this request, and the way this login leaves for a provider: none
        for ``prompt=none`` (no page may be shown: the login ends with ``login_required``),
        once it came back from a provider (never upstream again, so never a loop), and while it
        proves a local account for linking (that account's username may be an SSO e-mail)."""
        login = pending.flow.request
        leaves = (
            login.interactive
            and login.idp is None
            and pending.continuation.upstream is None
            and pending.continuation.link is None
        )

        def start(alias: str, login_hint: str | None) -> str:
            return self._links.upstream_start(alias, flow_id, login_hint)

        return self._s.directory.bound(
            ip=visit.ip,
            user_agent=visit.user_agent,
            trust_token=visit.trust_token,
            upstream_start=start if leaves else None,
            submission=submission,
        )
