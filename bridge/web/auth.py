"""Who is signed in, and the decorators that let a view run only for them.

The console and the account pages use the same set:

- ``signed_in(...)``: a POST must carry the form's CSRF token; a browser with no sign-in (or
  one older than ``max_age``) goes through the login flow and comes back to ``back_to``. The view
  gets the ``SignedIn`` (session and user) first.
- ``admin_of_org``: under ``signed_in``, the signed-in user must be an admin of the route's
  ``<slug>`` (or of the partner that manages it); the view gets an ``OrgAdmin``. A refusal is
  raised (``NotAnAdmin``, ``NotFound``) and the blueprint's error handler shows it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import redirect, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from bridge.login.continuation import ReturnTo
from bridge.login.sessions import BrowserSession
from bridge.login.views import logins
from bridge.login.visit import session_token
from bridge.services.container import Services
from bridge.services.orgs import Actor
from bridge.storage.db.models import Organisation, User
from bridge.web.browser import check_csrf, ensure_browser_id
from bridge.web.context import services
from flows.context import LoginRequest

View = Callable[..., Any]


@dataclass(frozen=True)
class SignedIn:
    """The browser's session and its user."""

    session: BrowserSession
    user: User

    def actor(self, via: str) -> Actor:
        """The user as the org services' actor, with this request's origin for the audit log."""
        return Actor(
            user_id=self.user.id,
            via=via,
            ip=request.remote_addr,
            user_agent=request.user_agent.string,
        )


@dataclass(frozen=True)
class OrgAdmin:
    """A signed-in admin of one organisation (``via_partner``: acting for a managed customer)."""

    actor: Actor
    org: Organisation
    via_partner: Organisation | None


def current_sign_in(s: Services, *, active_only: bool = False) -> SignedIn | None:
    """The browser's sign-in, or None. ``active_only``: a disabled or locked user has none."""
    session = s.sessions.get(session_token())
    user = s.users.get(session.user_id) if session else None
    if session is None or user is None:
        return None
    if active_only and (user.disabled or user.locked_at is not None):
        return None
    return SignedIn(session, user)


def send_to_login(
    s: Services, login: LoginRequest, back_to: str, *, code: int = 302
) -> WerkzeugResponse:
    """Send the browser through the login flow; it comes back to ``back_to``."""
    flow_id = logins().start(login, ReturnTo(back_to), ensure_browser_id())
    return redirect(url_for("login.step", flow_id=flow_id), code=code)


def signed_in(
    *,
    back_to: Callable[[], str],
    max_age: int | None = None,
    recent_only: bool = True,
    active_only: bool = False,
) -> Callable[[View], View]:
    """CSRF on POST, then a sign-in: the view runs as ``view(signed_in, **route_values)``;
    without one the browser signs in first. ``max_age``: the login it is sent to must be that
    recent (also at an upstream provider) and, with ``recent_only``, an older sign-in is sent
    to a fresh login too."""

    def wrap(view: View) -> View:
        @functools.wraps(view)
        def run(**kwargs: Any) -> Any:
            s = services()
            if request.method == "POST":
                check_csrf(s.secrets.secret_key)
            who = current_sign_in(s, active_only=active_only)
            if who is None:
                return send_to_login(s, LoginRequest(max_age=max_age), back_to())
            if recent_only and max_age is not None and who.session.auth_time < s.clock() - max_age:
                again = LoginRequest(force_login=True, max_age=max_age)
                return send_to_login(s, again, back_to(), code=303)
            return view(who, **kwargs)

        return run

    return wrap


def admin_of_org(via: str) -> Callable[[View], View]:
    """Under ``signed_in``: the user must be an admin of the route's ``<slug>``; the view runs
    as ``view(org_admin, **route_values)`` and the org services check again on each change."""

    def wrap(view: View) -> View:
        @functools.wraps(view)
        def run(who: SignedIn, **kwargs: Any) -> Any:
            actor = who.actor(via)
            authority = services().orgs.authority(actor, kwargs["slug"])
            return view(OrgAdmin(actor, authority.org, authority.via_partner), **kwargs)

        return run

    return wrap
