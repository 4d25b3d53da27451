"""The built-in step types, one small module each."""

from flows.steps.base import AnyStep, NoConfig, Step, StepConfig, StepContext
from flows.steps.cookie import CookieConfig, CookieStep
from flows.steps.idp_redirect import IdpRedirectConfig, IdpRedirectStep
from flows.steps.password import PasswordStep
from flows.steps.recovery_code import RecoveryCodeStep
from flows.steps.totp import TotpStep
from flows.steps.totp_enrol import TotpEnrolStep
from flows.steps.trust_device import TrustDeviceStep
from flows.steps.verdict import AllowStep, DenyConfig, DenyStep

BUILTIN_STEPS: tuple[type[AnyStep], ...] = (
    CookieStep,
    PasswordStep,
    TotpStep,
    TotpEnrolStep,
    RecoveryCodeStep,
    TrustDeviceStep,
    IdpRedirectStep,
    DenyStep,
    AllowStep,
)

__all__ = [
    "BUILTIN_STEPS",
    "AllowStep",
    "AnyStep",
    "CookieConfig",
    "CookieStep",
    "DenyConfig",
    "DenyStep",
    "IdpRedirectConfig",
    "IdpRedirectStep",
    "NoConfig",
    "PasswordStep",
    "RecoveryCodeStep",
    "Step",
    "StepConfig",
    "StepContext",
    "TotpEnrolStep",
    "TotpStep",
    "TrustDeviceStep",
]
