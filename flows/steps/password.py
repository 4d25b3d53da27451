"""``password``: username and password, checked by the directory."""

from __future__ import annotations

from collections.abc import Mapping

from flows.results import Challenge, Done, Failure, Possible, Resolution, Retry, StepResult
from flows.steps.base import NoConfig, Step, StepContext
from flows.wording import N_

INCORRECT = N_("Incorrect username or password.")
MISSING = N_("Enter your username and password.")


class PasswordStep(Step[NoConfig]):
    """Identify the user by username and password.

    Every failed check gets the same message, whether the user is unknown, the password wrong
    or the account unusable, so the page never tells which usernames exist; the real reason
    goes to the audit log through ``Failure``. The username field is prefilled with what the
    user last typed, else the request's ``login_hint``.
    """

    type = "password"
    label = N_("Password")
    identifies_user = True

    def challenge(self, ctx: StepContext) -> Challenge | Resolution:
        return self.ask(ctx, {"username": ctx.username or ctx.request.login_hint or ""})

    def submit(self, ctx: StepContext, answer: Mapping[str, str]) -> StepResult:
        username = answer.get("username", "").strip()
        password = answer.get("password", "")
        if username:
            ctx.username = username
        if not username or not password:
            return Retry(errors=(MISSING,))
        check = ctx.directory.check_password(username, password)
        if check.user_id is None:
            failure = Failure(
                reason=check.reason or "invalid_credentials",
                factor="pwd",
                user_id=check.known_user_id,
            )
            return Retry(errors=(INCORRECT,), failure=failure)
        return Done(user_id=check.user_id, amr=("pwd",))

    def possible(self) -> tuple[Possible, ...]:
        return (Possible("done", ("pwd",)),)
