"""The login flow engine: YAML-defined flows of steps, run with Keycloak's semantics.

Pure Python: no Flask, no database. The bridge supplies a ``Directory`` and stores the
``FlowState`` JSON between requests.
"""

from pathlib import Path

from flows.conditions import (
    AllOf,
    AnyOf,
    Condition,
    ConditionContext,
    ConditionExpr,
    MfaRequired,
    Not,
    UserHasTotp,
)
from flows.context import (
    DeviceTrust,
    Directory,
    EnrolmentOffer,
    ExistingSession,
    LoginRequest,
    PasswordCheck,
    RunContext,
    UserFacts,
    Verdict,
)
from flows.errors import (
    ConfigIssue,
    FlowConfigError,
    FlowError,
    FlowRuntimeError,
    FlowStateError,
    UnknownFlow,
)
from flows.executor import Calls, advance, start, submit, try_another_way
from flows.loader import FlowSet, load_flow_text, load_flows
from flows.model import Execution, Flow, FlowKind, Requirement, StepExecution, SubFlow
from flows.outcomes import (
    Completed,
    Denied,
    FlowResult,
    NeedsInput,
    Outcome,
    RedirectTo,
    StepDone,
)
from flows.registry import CONDITIONS, STEPS, Registry, RegistryError, load_entry_points
from flows.results import (
    Alternative,
    Challenge,
    Deny,
    Done,
    Fail,
    Failure,
    Mark,
    NotApplicable,
    Possible,
    Redirect,
    Retry,
    StepResult,
)
from flows.state import STATE_VERSION, FlowState
from flows.steps import Step, StepConfig, StepContext


def builtin_flows_dir() -> Path:
    """The directory of the flows shipped with the package (``browser``, ``federated``)."""
    return Path(__file__).resolve().parent / "builtin"


__all__ = [
    "CONDITIONS",
    "STATE_VERSION",
    "STEPS",
    "AllOf",
    "Alternative",
    "AnyOf",
    "Calls",
    "Challenge",
    "Completed",
    "Condition",
    "ConditionContext",
    "ConditionExpr",
    "ConfigIssue",
    "Denied",
    "Deny",
    "DeviceTrust",
    "Directory",
    "Done",
    "EnrolmentOffer",
    "Execution",
    "ExistingSession",
    "Fail",
    "Failure",
    "Flow",
    "FlowConfigError",
    "FlowError",
    "FlowKind",
    "FlowResult",
    "FlowRuntimeError",
    "FlowSet",
    "FlowState",
    "FlowStateError",
    "LoginRequest",
    "Mark",
    "MfaRequired",
    "NeedsInput",
    "Not",
    "NotApplicable",
    "Outcome",
    "PasswordCheck",
    "Possible",
    "Redirect",
    "RedirectTo",
    "Registry",
    "RegistryError",
    "Requirement",
    "Retry",
    "RunContext",
    "Step",
    "StepConfig",
    "StepContext",
    "StepDone",
    "StepExecution",
    "StepResult",
    "SubFlow",
    "UnknownFlow",
    "UserFacts",
    "UserHasTotp",
    "Verdict",
    "advance",
    "builtin_flows_dir",
    "load_entry_points",
    "load_flow_text",
    "load_flows",
    "start",
    "submit",
    "try_another_way",
]
