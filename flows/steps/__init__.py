"""The built-in step types, one small module each."""

from flows.steps.base import AnyStep, NoConfig, Step, StepConfig, StepContext
from flows.steps.cookie import CookieConfig, CookieStep
from flows.steps.password import PasswordStep
from flows.steps.totp import TotpStep
from flows.steps.totp_enrol import TotpEnrolStep

BUILTIN_STEPS: tuple[type[AnyStep], ...] = (CookieStep, PasswordStep, TotpStep, TotpEnrolStep)

__all__ = [
    "BUILTIN_STEPS",
    "AnyStep",
    "CookieConfig",
    "CookieStep",
    "NoConfig",
    "PasswordStep",
    "Step",
    "StepConfig",
    "StepContext",
    "TotpEnrolStep",
    "TotpStep",
]
