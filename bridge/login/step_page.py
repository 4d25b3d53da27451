"""The page of a step the flow asks for: what it shows beside the challenge itself."""

from __future__ import annotations

from typing import TYPE_CHECKING

import flows
from bridge.login.continuation import AnswerAuthorization
from bridge.login.directory import BridgeDirectory
from bridge.login.pending import PendingLogin, hints_of
from bridge.login.screens import ShowStep

if TYPE_CHECKING:
    from bridge.services.container import Services

#: Steps whose page carries the "trust this browser for N days" checkbox.
CODE_STEPS = ("totp", "totp_enrol", "recovery_code")


def step_page(
    services: Services,
    flow_id: str,
    pending: PendingLogin,
    challenge: flows.Challenge,
    directory: BridgeDirectory,
) -> ShowStep:
    then = pending.continuation.then
    linking = pending.continuation.link is not None
    contacts, pending.locked_contacts = pending.locked_contacts, None  # shown once
    return ShowStep(
        flow_id=flow_id,
        challenge=challenge,
        errors=(*challenge.errors, *pending.errors.pop(challenge.path, [])),
        locked_contacts=None if contacts is None else tuple(contacts),
        client_id=then.params.get("client_id") if isinstance(then, AnswerAuthorization) else None,
        trust_days=trust_days(services, directory, pending, challenge),
        linking=linking,
        providers=(
            tuple(services.identity_providers.global_providers())
            if challenge.step == "password" and not linking
            else ()
        ),
        hints=hints_of(pending, directory.subject_read(pending.flow.user_id)),
        required_factors=pending.flow.request.required_factors,
    )


def trust_days(
    services: Services,
    directory: BridgeDirectory,
    pending: PendingLogin,
    challenge: flows.Challenge,
) -> int | None:
    """N for the code page's "trust this browser for N days" checkbox: shown only when the
    flow has an enabled ``trust_device`` step and the user's organisations allow it."""
    user_id = pending.flow.user_id
    if challenge.step not in CODE_STEPS or user_id is None:
        return None
    if not any(
        isinstance(e, flows.StepExecution)
        and e.step.type == "trust_device"
        and e.requirement is not flows.Requirement.DISABLED
        for e in services.flows.get(pending.flow.flow_id).walk()
    ):
        return None
    return directory.trusted_device_days(user_id)
