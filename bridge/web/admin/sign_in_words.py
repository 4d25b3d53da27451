"""The console's "how they sign in" page in words a security admin reads (issue 13): what this
member is asked when signing in, and why, from the flow's plan for them right now
(``flows.explain.asked``) and the rules that ask for 2FA (``Explanations.mfa_reasons``)."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext

from bridge.services.explanations import MfaReason
from flows.explain import Asked


@dataclass(frozen=True)
class SignInWords:
    """``first``: what ends the sign-in before any question (a session, single sign-on);
    ``asked``: what the member is asked, in order; ``why``: why (or why not) a code."""

    first: list[str]
    asked: list[str]
    why: list[str]


def _runs(plan: list[Asked], step_type: str) -> bool | None:
    states = [step.runs for step in plan if step.type == step_type]
    if not states:
        return False
    return True if True in states else (None if None in states else False)


def _reason(reason: MfaReason, user: str) -> str:
    return str(_reason_text(reason, user))


def _reason_text(reason: MfaReason, user: str) -> object:
    if reason.kind == "organisation":
        return gettext(
            "The organisation %(org)s enforces two-factor authentication.", org=reason.name
        )
    if reason.kind == "admin":
        return gettext(
            "An administrator required two-factor authentication for %(user)s.", user=user
        )
    if reason.kind == "reenrol":
        return gettext(
            "An administrator reset %(user)s's two-factor authentication: they set up a new "
            "authenticator app.",
            user=user,
        )
    return gettext("Every account here needs two-factor authentication.")


def describe(plan: list[Asked], reasons: list[MfaReason], user: str) -> SignInWords:
    """The plan for ``user`` (a member's username) in the page's language."""
    first: list[str] = []
    asked: list[str] = []
    for step in plan:
        if step.runs is False:
            continue
        if step.type == "cookie":
            first.append(
                gettext("Nothing, while their browser still has a session from an earlier sign-in.")
            )
        elif step.type == "idp_redirect":
            first.append(
                gettext(
                    "When the application or their e-mail address points to a single sign-on "
                    "provider: that provider's sign-in instead."
                )
            )
        elif step.type == "password":
            asked.append(gettext("Their username and password."))
        elif step.type == "totp_enrol":
            asked.append(gettext("To set up an authenticator app, as they have none yet."))
        elif step.type == "totp":
            asked.append(
                gettext("A code from their authenticator app, or one of their recovery codes.")
            )
        elif step.type == "recovery_code":
            if _runs(plan, "totp") is False:
                asked.append(gettext("One of their recovery codes."))
        elif step.type == "trust_device":
            asked.append(
                gettext(
                    "Whether to trust this browser, so that it does not ask them for a code for "
                    "a while."
                )
            )
        else:
            asked.append(step.label)
    why: list[str] = []
    code = _runs(plan, "totp") or _runs(plan, "totp_enrol")
    if code:
        why += [_reason(reason, user) for reason in reasons]
        if not reasons:
            why.append(gettext("%(user)s set up two-factor authentication themselves.", user=user))
        if any(step.type == "trust_device" for step in plan):
            why.append(
                gettext(
                    "A browser they chose to trust does not ask for the code, unless the "
                    "application asks for two factors."
                )
            )
    elif code is False:
        why.append(
            gettext(
                "No code is asked: %(user)s has no authenticator app and no rule requires "
                "two-factor authentication. An application that asks for two factors makes them "
                "set one up all the same.",
                user=user,
            )
        )
    return SignInWords(first, asked, why)
