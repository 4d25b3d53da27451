"""Login pages: parse the request, call the login service, render what it returns.

The flow decides what comes next (``bridge.login.service``); these views only turn a request
into a ``Visit`` and an answer, and a screen into a page, a redirect or the answer to the
application. A refusal the service raises reaches the app's error handler
(``bridge.web.errors``): an error page with its status.
"""

from __future__ import annotations

from flask import Blueprint, make_response, redirect, render_template, request, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response as WerkzeugResponse

from bridge.login import lost_device, new_password, recovery_codes
from bridge.login.continuation import AnswerAuthorization, is_local_path
from bridge.login.screens import DeniedToClient, GoTo, Screen, ShowStep, SignedIn
from bridge.login.service import LoginService
from bridge.login.visit import visit
from bridge.oidc.adapters import AuthenticatedUser
from bridge.oidc.authorize import answer, error_redirect
from bridge.services.trusted_devices import COOKIE_NAME as TRUSTED_BROWSER_COOKIE
from bridge.services.trusted_devices import cookie_options
from bridge.web.browser import check_csrf, cookies_are_secure, csrf_token
from bridge.web.context import bridge
from bridge.web.language import remember
from flows import DeviceTrust

bp = Blueprint("login", __name__)


class FlaskLinks:
    """The login service's ``Links``: this blueprint's and the federation's URLs."""

    def step(self, flow_id: str) -> str:
        return url_for("login.step", flow_id=flow_id)

    def recovery_codes(self, flow_id: str) -> str:
        return url_for("login.recovery_codes", flow_id=flow_id)

    def new_password(self, flow_id: str) -> str:
        return url_for("login.new_password", flow_id=flow_id)

    def upstream_start(self, alias: str, flow_id: str, login_hint: str | None) -> str:
        return url_for("federation.start", alias=alias, flow=flow_id, login_hint=login_hint)


def logins() -> LoginService:
    """The login service for this request."""
    return LoginService(bridge().services, FlaskLinks())


def render(screen: Screen) -> WerkzeugResponse:
    """A screen of the login service as the browser's answer."""
    if isinstance(screen, ShowStep):
        return make_response(_page(screen))
    s = bridge().services
    response: WerkzeugResponse
    if isinstance(screen, GoTo):
        response = redirect(screen.url, code=303)
    elif isinstance(screen, DeniedToClient):
        params = dict(screen.params)
        response = error_redirect(s.settings.issuer, params, screen.error, screen.description)
    else:
        response = _signed_in(screen)
    if screen.trust is not None:
        _set_trust_cookie(response, screen.trust)
    return response


def _signed_in(screen: SignedIn) -> WerkzeugResponse:
    b = bridge()
    settings = b.services.settings
    then = screen.then
    response: WerkzeugResponse
    if isinstance(then, AnswerAuthorization):
        user = AuthenticatedUser(screen.user_id, screen.amr, screen.auth_time, screen.acr)
        response = make_response(answer(b.oauth, settings.issuer, dict(then.params), user))
    elif is_local_path(then.path):
        # A page of the bridge itself (the account page, the admin console).
        response = redirect(then.path, code=303)
    else:
        response = redirect(url_for("account.account"), code=303)
    if screen.session_token is not None:
        response.set_cookie(
            settings.session.cookie_name,
            screen.session_token,
            max_age=settings.session.lifetime,
            httponly=True,
            secure=cookies_are_secure(settings.issuer),
            samesite="Lax",
            path="/",
        )
    return response


def _set_trust_cookie(response: WerkzeugResponse, trust: DeviceTrust) -> None:
    secure = cookies_are_secure(bridge().services.settings.issuer)
    response.set_cookie(
        TRUSTED_BROWSER_COOKIE,
        trust.token,
        **cookie_options(trust.days, secure=secure),  # type: ignore[arg-type]
    )


def _page(screen: ShowStep) -> str:
    s = bridge().services
    remember(screen.hints)
    challenge = screen.challenge
    qr_svg = grouped_secret = None
    otpauth_uri = challenge.data.get("otpauth_uri")
    if otpauth_uri:
        import segno  # enrolment pages only: a worker that never shows one never loads it

        qr_svg = segno.make(otpauth_uri, error="m").svg_inline(scale=5)
        secret = challenge.data.get("secret", "")
        grouped_secret = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    return render_template(
        f"login/{challenge.step}.html",
        flow_id=screen.flow_id,
        challenge=challenge,
        data=challenge.data,
        errors=list(screen.errors),
        locked_contacts=screen.locked_contacts,
        qr_svg=qr_svg,
        grouped_secret=grouped_secret,
        csrf_token=csrf_token(s.secrets.secret_key),
        client=screen.client_id,
        trust_days=screen.trust_days,
        providers=list(screen.providers),
        linking=screen.linking,
        client_name=_client_name(screen.client_id),
        org_name=s.explanations.organisation_name(screen.hints.org_id),
        enrol_reasons=_enrol_reasons(screen) if challenge.step == "totp_enrol" else [],
    )


def _client_name(client_id: str | None) -> str | None:
    """The name of the application the person signs in to (its id when it has none)."""
    if client_id is None:
        return None
    return bridge().services.clients.display_name(client_id)


def _enrol_reasons(screen: ShowStep) -> list[str]:
    """Why the enrolment page asks for a second factor, truthfully and in the page's language."""
    user_id = screen.hints.user_id
    reasons = [] if user_id is None else bridge().services.explanations.mfa_reasons(user_id)
    said: list[str] = []
    for reason in reasons:
        if reason.kind == "organisation":
            said.append(
                gettext(
                    "Your organisation %(org)s requires two-factor authentication.",
                    org=reason.name,
                )
            )
        elif reason.kind == "admin":
            said.append(gettext("An administrator requires two-factor authentication for you."))
        elif reason.kind == "reenrol":
            said.append(gettext("You reset your authenticator app: set up the new one."))
        elif reason.kind == "default":
            said.append(gettext("Every account here needs two-factor authentication."))
    if not said and screen.required_factors >= 2:
        said.append(gettext("The application asks for two-factor authentication."))
    if not said:
        said.append(gettext("You chose to set up two-factor authentication."))
    return said


@bp.get("/login/<flow_id>")
def step(flow_id: str) -> WerkzeugResponse:
    return render(logins().advance(flow_id, visit()))


@bp.post("/login/<flow_id>")
def answer_step(flow_id: str) -> WerkzeugResponse:
    check_csrf(bridge().services.secrets.secret_key)
    form = request.form
    if "try_another_way" in form:
        return after_post(render(logins().choose(flow_id, visit(), form["try_another_way"])))
    fields = {k: v for k, v in form.items() if k not in ("csrf_token", "path")}
    trust = bool(form.get("trust")) if "trust_offered" in form else None
    screen = logins().submit(flow_id, visit(), form.get("path", ""), fields, trust=trust)
    return after_post(render(screen))


def after_post(response: WerkzeugResponse) -> WerkzeugResponse:
    """After a POST, the browser must follow with a GET: a 302 (Authlib's) becomes a 303."""
    if response.status_code == 302:
        response.status_code = 303
    return response


@bp.get("/")
def home() -> WerkzeugResponse:
    return redirect(url_for("account.account"), code=302)


# The pages beside the steps, on this blueprint (their endpoints are ``login.<name>``).
for rule, view, methods in (
    ("/login/<flow_id>/recovery-codes", recovery_codes.recovery_codes, ["GET"]),
    ("/login/<flow_id>/recovery-codes.txt", recovery_codes.recovery_codes_text, ["GET"]),
    ("/login/<flow_id>/recovery-codes", recovery_codes.recovery_codes_saved, ["POST"]),
    ("/login/<flow_id>/lost-device", lost_device.lost_device, ["GET"]),
    ("/login/<flow_id>/lost-device", lost_device.request_reset, ["POST"]),
    ("/login/<flow_id>/new-password", new_password.new_password, ["GET"]),
    ("/login/<flow_id>/new-password", new_password.new_password_chosen, ["POST"]),
):
    bp.add_url_rule(rule, view_func=view, methods=methods)
