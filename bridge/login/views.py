"""Login pages: render the flow's current challenge, pass answers to it, act on its end.

The views only translate HTTP to the flow engine and back; the flow decides what comes next.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

import segno
from flask import Blueprint, make_response, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

import flows
from bridge.browser import browser_id, check_csrf, cookies_are_secure, csrf_token
from bridge.clock import utc_datetime
from bridge.context import bridge
from bridge.domain.events import AuditEventName
from bridge.federation.login import finish_local_proof
from bridge.login.directory import BridgeDirectory, UpstreamStart
from bridge.login.pending import PendingLogin, PendingLoginError
from bridge.oidc.adapters import AuthenticatedUser
from bridge.oidc.authorize import answer, error_redirect
from bridge.pages import error_page
from bridge.services import Services
from bridge.trusted_devices import COOKIE_NAME as TRUSTED_BROWSER_COOKIE
from bridge.trusted_devices import cookie_options
from flows.context import ExistingSession

bp = Blueprint("login", __name__)
log = logging.getLogger(__name__)

FACTOR_TYPES = {"otp": "totp", "pwd": "password"}
FEDERATED_AMR = "fed"
#: The ``amr`` value added to a login that used a recovery code (RFC 8176 has none; its "otp"
#: and "mfa" stay, since the code is a single-use secret proven as the second factor).
RECOVERY_CODE_AMR = "recovery_code"
#: Steps whose page carries the "trust this browser for N days" checkbox.
CODE_STEPS = ("totp", "totp_enrol", "recovery_code")

LOCKED = (
    "Your account is locked after too many failed attempts. "
    "Contact an administrator of your organisation to unlock it."
)
RESTARTED = "Too many wrong codes. For your security this sign-in has ended: start again."
THROTTLE_BLOCK = "throttle:block:"


def _session_token(s: Services) -> str | None:
    return request.cookies.get(s.settings.session.cookie_name)


def _existing_session(s: Services) -> ExistingSession | None:
    session = s.sessions.get(_session_token(s))
    if session is None:
        return None
    return ExistingSession(session.user_id, session.amr, session.auth_time, session.acr)


def notify_factor_change(s: Services, user_id: str, change: str) -> None:
    """E-mail the user that a security setting changed (``factor_changed``; never blocks)."""
    user = s.users.get(user_id)
    if user is None:
        return
    s.mailer.notify(
        "factor_changed",
        to=user.email,
        user_id=user.id,
        username=user.username,
        change=change,
        when=utc_datetime(s.clock).strftime("%Y-%m-%d %H:%M UTC"),
    )


def _directory(
    s: Services, flow_id: str | None = None, pending: PendingLogin | None = None
) -> BridgeDirectory:
    """The directory for this request (it counts lockout slots with this request's IP), and
    for the login ``flow_id``, when given, the way it leaves for an upstream provider."""
    return s.directory.bound(
        ip=request.remote_addr,
        user_agent=request.user_agent.string,
        trust_token=request.cookies.get(TRUSTED_BROWSER_COOKIE),
        upstream_start=(
            _upstream_start(flow_id, pending)
            if flow_id is not None and pending is not None
            else None
        ),
    )


def _upstream_start(flow_id: str, pending: PendingLogin) -> UpstreamStart | None:
    """How this login starts at a provider (``idp_redirect``), or None while it may not leave:
    for ``prompt=none`` (no page may be shown: the login ends with ``login_required``), once
    it came back from a provider (never upstream again, so never a loop), and while it proves
    a local account for linking (that account's username may be an SSO e-mail)."""
    login = pending.flow.request
    if (
        not login.interactive
        or login.idp is not None
        or "upstream" in pending.continuation
        or "link" in pending.continuation
    ):
        return None

    def start(alias: str, login_hint: str | None) -> str:
        return url_for("federation.start", alias=alias, flow=flow_id, login_hint=login_hint)

    return start


def _context(s: Services, directory: BridgeDirectory) -> flows.RunContext:
    return flows.RunContext(
        directory=directory,
        session=_existing_session(s),
        now=int(s.clock()),
        device=browser_id(),
    )


def _throttled(s: Services) -> int | None:
    """Seconds this IP must wait before its next login submission, or None (per-IP throttling:
    ``Lockout.throttle`` counts the IP's *failed* submissions, so busy offices behind one
    address are not stopped by their successful logins)."""
    key = THROTTLE_BLOCK + (request.remote_addr or "unknown")
    if s.store.get(key) is None:
        return None
    return max(1, s.store.ttl(key) or 1)


def _count_failure(s: Services) -> None:
    ip = request.remote_addr or "unknown"
    retry_after = s.lockout.throttle(ip)
    if retry_after is not None:
        s.store.put(THROTTLE_BLOCK + ip, {"retry_after": retry_after}, retry_after)


def _too_many_requests(retry_after: int) -> WerkzeugResponse:
    body, _ = error_page(
        "Too many attempts",
        f"Too many failed sign-in attempts from your network. Try again in {retry_after} s.",
    )
    response = WerkzeugResponse(body, status=429, mimetype="text/html")
    response.headers["Retry-After"] = str(retry_after)
    return response


def _end(s: Services, flow_id: str, ended: str) -> tuple[str, int]:
    """The lockout ended this login: the account locked now, or the ``restart`` policy."""
    s.pending.finish(flow_id)
    if ended == "locked":
        return error_page("Account locked", LOCKED, 403)
    return error_page("Sign-in ended", RESTARTED, 403)


def _audit_failure(s: Services, pending: PendingLogin, failure: flows.Failure | None) -> None:
    if failure is None:
        return
    s.audit.record(
        AuditEventName.SIGN_IN_FAILED,
        user_id=failure.user_id,
        client_id=pending.flow.request.client_id,
        ip=request.remote_addr,
        user_agent=request.user_agent.string,
        mfa_factor_type=FACTOR_TYPES.get(failure.factor or "", failure.factor),
        reason=failure.reason,
    )


def _trust_days(
    s: Services, directory: BridgeDirectory, pending: PendingLogin, challenge: flows.Challenge
) -> int | None:
    """N for the code page's "trust this browser for N days" checkbox: shown only when the
    flow has an enabled ``trust_device`` step and the user's organisations allow it."""
    user_id = pending.flow.user_id
    if challenge.step not in CODE_STEPS or user_id is None:
        return None
    flow = s.flows.get(pending.flow.flow_id)
    if not any(
        isinstance(e, flows.StepExecution)
        and e.step.type == "trust_device"
        and e.requirement is not flows.Requirement.DISABLED
        for e in flow.walk()
    ):
        return None
    return directory.trusted_device_days(user_id)


def _render_challenge(
    s: Services,
    flow_id: str,
    pending: PendingLogin,
    challenge: flows.Challenge,
    directory: BridgeDirectory,
) -> str:
    errors = list(challenge.errors) + pending.errors.pop(challenge.path, [])
    qr_svg = grouped_secret = None
    if "otpauth_uri" in challenge.data:
        qr_svg = segno.make(challenge.data["otpauth_uri"], error="m").svg_inline(scale=5)
        secret = challenge.data["secret"]
        grouped_secret = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    return render_template(
        f"login/{challenge.step}.html",
        flow_id=flow_id,
        challenge=challenge,
        data=challenge.data,
        errors=errors,
        qr_svg=qr_svg,
        grouped_secret=grouped_secret,
        csrf_token=csrf_token(s.secrets.secret_key),
        client=pending.continuation.get("params", {}).get("client_id"),
        trust_days=_trust_days(s, directory, pending, challenge),
        providers=(
            s.identity_providers.global_providers()
            if challenge.step == "password" and "link" not in pending.continuation
            else []
        ),
        linking="link" in pending.continuation,
    )


def _finish(s: Services, flow_id: str, pending: PendingLogin, result: flows.FlowResult) -> Any:
    if "link" in pending.continuation and FEDERATED_AMR not in result.amr:
        # The local account's password (and code) proven: link the upstream identity, then
        # the federated flow finishes the login (bridge.federation.login).
        return finish_local_proof(s, flow_id, pending, result.user_id)
    if not s.pending.finish(flow_id):
        return error_page("This login has already finished", "Please start again.")
    factor_type = "totp" if "otp" in result.amr else "none"
    if FEDERATED_AMR in result.amr:
        factor_type = "federated"
    if pending.continuation.get("recovery_code_used"):
        factor_type = "recovery_code"
        result = dataclasses.replace(result, amr=(*result.amr, RECOVERY_CODE_AMR))
    elif pending.continuation.get("trusted_browser_used") and "otp" not in result.amr:
        # The code was proven when the browser was trusted, not now: the amr says only what
        # this login proved (``pwd``); the audit log says why no code was asked.
        factor_type = "trusted_device"
    current = s.sessions.get(_session_token(s))
    # The session this login was satisfied by goes on. Never for a login that came back from a
    # provider: it may carry the same upstream auth_time as the current session (two tabs, a
    # step-up), but it is a sign-in of its own, with its own upstream ID token for the logout.
    reuse = (
        current is not None
        and current.user_id == result.user_id
        and current.auth_time == result.auth_time
        and "upstream" not in pending.continuation
    )
    new_token = None
    if not reuse:
        # A fresh login always gets a fresh session id (no session fixation).
        s.sessions.end(_session_token(s))
        new_token = s.sessions.create(
            result.user_id,
            result.amr,
            result.auth_time,
            result.acr,
            upstream=pending.continuation.get("upstream"),
        )
        s.audit.record(
            AuditEventName.SIGN_IN_SUCCEEDED,
            user_id=result.user_id,
            client_id=pending.flow.request.client_id,
            ip=request.remote_addr,
            user_agent=request.user_agent.string,
            mfa_factor_type=factor_type,
            details={"amr": list(result.amr)},
        )
    continuation = pending.continuation
    if continuation["kind"] == "authorize":
        user = AuthenticatedUser(result.user_id, result.amr, result.auth_time, result.acr)
        b = bridge()
        response = answer(b.oauth, s.settings.issuer, continuation["params"], user)
    elif continuation["kind"] == "redirect" and _local_path(continuation.get("next")):
        # A page of the bridge itself (the admin console) that sent the browser to sign in.
        response = redirect(continuation["next"], code=303)
    else:
        response = redirect(url_for("account.account"), code=303)
    if new_token is not None:
        response.set_cookie(
            s.settings.session.cookie_name,
            new_token,
            max_age=s.settings.session.lifetime,
            httponly=True,
            secure=cookies_are_secure(s.settings.issuer),
            samesite="Lax",
            path="/",
        )
    return response


def _local_path(value: Any) -> bool:
    """A path on this server. Browsers drop tabs and newlines in URLs: "/<tab>/x" means "//x"."""
    return (
        isinstance(value, str)
        and value.isprintable()
        and value.startswith("/")
        and not value.startswith("//")
        and "\\" not in value
    )


def _deny(s: Services, flow_id: str, pending: PendingLogin, outcome: flows.Denied) -> Any:
    """End a login the flow refused. The flow's own message is for operators, not users."""
    s.pending.finish(flow_id)
    log.info("login flow denied: %s (%s)", outcome.reason, outcome.message)
    continuation = pending.continuation
    if continuation["kind"] == "authorize":
        if outcome.reason == "login_required":
            error, description = "login_required", "The user must sign in interactively."
        else:
            error, description = "access_denied", "The sign-in was not completed."
        return error_redirect(s.settings.issuer, continuation["params"], error, description)
    return error_page(
        "Sign-in stopped",
        "Your sign-in could not be completed. Start again, or ask your administrator.",
        403,
    )


def _respond(
    s: Services,
    flow_id: str,
    pending: PendingLogin,
    outcome: flows.Outcome,
    directory: BridgeDirectory,
    *,
    posted: bool,
) -> Any:
    _audit_failure(s, pending, outcome.failure)
    if directory.events.recovery_code_used:
        pending.continuation["recovery_code_used"] = True
    if directory.events.trusted_browser_used:
        pending.continuation["trusted_browser_used"] = True
    if "recovery_codes" in pending.continuation and isinstance(
        outcome, flows.NeedsInput | flows.Completed
    ):
        # New recovery codes are shown, once, before the login goes on.
        s.pending.save(flow_id, pending)
        return redirect(url_for("login.recovery_codes", flow_id=flow_id), code=303)
    if isinstance(outcome, flows.NeedsInput):
        challenge = outcome.challenge
        if posted:
            if outcome.failure is not None and outcome.failure.reason == "locked":
                # The right password of a locked account (R8): now, and only now, say so.
                pending.errors[challenge.path] = [LOCKED]
            elif challenge.errors:
                pending.errors[challenge.path] = list(challenge.errors)
            s.pending.save(flow_id, pending)
            return redirect(url_for("login.step", flow_id=flow_id), code=303)
        page = _render_challenge(s, flow_id, pending, challenge, directory)
        s.pending.save(flow_id, pending)
        return page
    if isinstance(outcome, flows.Completed):
        return _finish(s, flow_id, pending, outcome.result)
    if isinstance(outcome, flows.Denied):
        return _deny(s, flow_id, pending, outcome)
    if isinstance(outcome, flows.RedirectTo):
        s.pending.save(flow_id, pending)
        return redirect(outcome.url, code=303)
    raise TypeError(f"unknown flow outcome {outcome!r}")


def _load(s: Services, flow_id: str) -> PendingLogin | tuple[str, int]:
    try:
        return s.pending.load(flow_id, browser_id())
    except PendingLoginError as problem:
        return error_page("Please sign in again", str(problem))
    except flows.FlowStateError:
        return error_page(
            "Please sign in again", "This login was started by an older version of the bridge."
        )


def _home_realm(s: Services, flow_id: str, pending: PendingLogin) -> WerkzeugResponse | None:
    """Home-realm discovery on the password page: an e-mail typed as the username whose
    domain belongs to an SSO provider (``services.home_realm``) sends the browser to that
    provider; no password is judged (a password typed anyway is not looked at). Not while a
    login proves a local account for linking (that account signs in here). The flow's
    ``idp_redirect`` step did the same earlier for the request's ``login_hint``."""
    username = request.form.get("username", "").strip()
    if "@" not in username or "link" in pending.continuation:
        return None
    provider = s.home_realm.provider_for(username)
    if provider is None:
        return None
    return redirect(
        url_for("federation.start", alias=provider.alias, flow=flow_id, login_hint=username),
        code=303,
    )


@bp.get("/login/<flow_id>")
def step(flow_id: str) -> Any:
    s = bridge().services
    loaded = _load(s, flow_id)
    if not isinstance(loaded, PendingLogin):
        return loaded
    flow = s.flows.get(loaded.flow.flow_id)
    directory = _directory(s, flow_id, loaded)
    outcome = flows.advance(flow, loaded.flow, _context(s, directory))
    return _respond(s, flow_id, loaded, outcome, directory, posted=False)


@bp.post("/login/<flow_id>")
def answer_step(flow_id: str) -> Any:
    s = bridge().services
    check_csrf(s.secrets.secret_key)
    retry_after = _throttled(s)
    if retry_after is not None:
        return _too_many_requests(retry_after)
    loaded = _load(s, flow_id)
    if not isinstance(loaded, PendingLogin):
        return loaded
    flow = s.flows.get(loaded.flow.flow_id)
    path = request.form.get("path", "")
    directory = _directory(s, flow_id, loaded)
    ctx = _context(s, directory)
    if "try_another_way" in request.form:
        outcome = flows.try_another_way(flow, loaded.flow, ctx, request.form["try_another_way"])
    elif (upstream := _home_realm(s, flow_id, loaded)) is not None:
        return upstream
    else:
        answer_fields = {k: v for k, v in request.form.items() if k not in ("csrf_token", "path")}
        outcome = flows.submit(flow, loaded.flow, ctx, path, answer_fields)
        enrolled = any(done.step == "totp_enrol" for done in outcome.done)
        if (
            "trust_offered" in request.form
            and isinstance(outcome, flows.NeedsInput)
            and outcome.challenge.step == "trust_device"
        ):
            # The code page's checkbox answers the flow's "trust this browser?" question.
            trust = {"trust": "yes" if request.form.get("trust") else "no"}
            outcome = flows.submit(flow, loaded.flow, ctx, outcome.challenge.path, trust)
        user_id = loaded.flow.user_id
        if enrolled and user_id is not None:
            s.audit.record(
                AuditEventName.MFA_SETUP_SUCCEEDED,
                user_id=user_id,
                client_id=loaded.flow.request.client_id,
                ip=request.remote_addr,
                user_agent=request.user_agent.string,
                mfa_factor_type="totp",
            )
            notify_factor_change(s, user_id, "enabled")
            # R11: recovery codes are issued at activation and shown once.
            loaded.continuation["recovery_codes"] = s.recovery.generate(
                user_id, ip=request.remote_addr, user_agent=request.user_agent.string
            )
    if outcome.failure is not None:
        _count_failure(s)
    if directory.events.ended is not None:
        _audit_failure(s, loaded, outcome.failure)
        return _end(s, flow_id, directory.events.ended)
    response = _respond(s, flow_id, loaded, outcome, directory, posted=True)
    if isinstance(response, WerkzeugResponse) and response.status_code == 302:
        response.status_code = 303  # after a POST, the browser must follow with a GET
    if directory.events.new_trust is not None and loaded.flow.user_id is not None:
        notify_factor_change(s, loaded.flow.user_id, "device_trusted")
        token, days = directory.events.new_trust
        response = make_response(response)
        response.set_cookie(
            TRUSTED_BROWSER_COOKIE,
            token,
            **cookie_options(days, secure=cookies_are_secure(s.settings.issuer)),  # type: ignore[arg-type]
        )
    return response


@bp.get("/")
def home() -> WerkzeugResponse:
    return redirect(url_for("account.account"), code=302)


# Registered on ``bp``: new recovery codes shown once, and "lost your device?".
from bridge.login import lost_device as _lost_device  # noqa: E402,F401
from bridge.login import recovery_codes as _recovery_codes  # noqa: E402,F401
