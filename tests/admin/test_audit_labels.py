"""Every factor and reason the code records in the audit log has a label on the console's audit
page (issue 13). The values are string literals spread over the services, the login, the flow
steps, federation and forward auth, so this test reads the code for them: a new literal without
a label fails here, not on an admin's screen."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import bridge
import flows
from bridge.federation.errors import UpstreamError
from bridge.web.admin.audit_labels import FACTOR_LABELS, REASON_LABELS

SOURCES = (Path(bridge.__file__).parent, Path(flows.__file__).parent)
#: Names a recorded reason or factor is given in the code, before it reaches ``audit.record``.
REASON_NAMES = {"reason"}
#: An imported user's audit reason is what the import did to it (``create``, ``update``).
IMPORT_REASON_NAMES = {"action"}
FACTOR_NAMES = {"mfa_factor_type", "factor_type", "FACTOR_TYPE"}
#: Calls that carry a reason positionally: the name called and the argument's position.
REASON_ARGUMENTS = {
    "Failure": 0,  # a flow step's failed attempt
    "Refused": 1,  # a federated account that may not sign in
    "_refuse": 0,  # forward auth
    "sign_out_everywhere": 2,  # revokes app passwords with that reason
    "revoke_all": 1,
}
#: Functions whose string results are reasons (a reset link refused).
REASON_FUNCTIONS = {"refusal"}


def strings(node: ast.expr | None) -> Iterator[str]:
    """The literal values an expression can have: a string, either side of ``a if c else b``,
    or any of ``a or b``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ast.IfExp):
        yield from strings(node.body)
        yield from strings(node.orelse)
    elif isinstance(node, ast.BoolOp):
        for value in node.values:
            yield from strings(value)


def name_of(node: ast.expr) -> str:
    return getattr(node, "id", None) or getattr(node, "attr", None) or ""


def trees() -> Iterator[tuple[Path, ast.AST]]:
    for root in SOURCES:
        for path in sorted(root.rglob("*.py")):
            if "migrations" not in path.parts:
                yield path, ast.parse(path.read_text(), str(path))


def recorded() -> tuple[set[str], set[str]]:
    """The reasons and the factors the code can record."""
    reasons: set[str] = {cls.reason for cls in all_subclasses(UpstreamError)}
    factors: set[str] = set()
    prefixes: set[str] = set()  # f"mfa_reset_{reason}"
    reset_reasons: set[str] = set()
    for path, tree in trees():
        names = REASON_NAMES | (IMPORT_REASON_NAMES if "imports" in path.parts else set())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                called = name_of(node.func)
                for keyword in node.keywords:
                    if keyword.arg in REASON_NAMES:
                        reasons |= set(strings(keyword.value))
                        if called == "reset":
                            reset_reasons |= set(strings(keyword.value))
                    if keyword.arg in FACTOR_NAMES:
                        factors |= set(strings(keyword.value))
                at = REASON_ARGUMENTS.get(called)
                if at is not None and len(node.args) > at:
                    argument = node.args[at]
                    reasons |= set(strings(argument))
                    if isinstance(argument, ast.JoinedStr):
                        first = argument.values[0]
                        assert isinstance(first, ast.Constant)
                        prefixes.add(str(first.value))
            elif isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in map(name_of, targets):
                    if target in names:
                        reasons |= set(strings(node.value))
                    if target in FACTOR_NAMES:
                        factors |= set(strings(node.value))
                    if target == "FACTOR_TYPES" and isinstance(node.value, ast.Dict):
                        factors |= {s for value in node.value.values for s in strings(value)}
            elif isinstance(node, ast.FunctionDef) and node.name in REASON_FUNCTIONS:
                for inner in ast.walk(node):
                    if isinstance(inner, ast.Return):
                        reasons |= set(strings(inner.value))
    reasons |= {prefix + reason for prefix in prefixes for reason in reset_reasons}
    return reasons, factors


def all_subclasses(cls: type[UpstreamError]) -> set[type[UpstreamError]]:
    found = set(cls.__subclasses__())
    return found | {deeper for sub in found for deeper in all_subclasses(sub)} | {cls}


def test_every_reason_the_code_records_has_a_label() -> None:
    reasons, _ = recorded()
    assert {"wrong_password", "invalid_code", "locked", "bad_signature"} <= reasons  # it reads
    assert sorted(reasons - REASON_LABELS.keys()) == []


def test_every_factor_the_code_records_has_a_label() -> None:
    _, factors = recorded()
    assert {"totp", "recovery_code", "federated", "app_password"} <= factors
    assert sorted(factors - FACTOR_LABELS.keys()) == []


def test_every_label_is_for_a_value_the_code_records() -> None:
    reasons, factors = recorded()
    assert sorted(REASON_LABELS.keys() - reasons) == []
    assert sorted(FACTOR_LABELS.keys() - factors) == []


def test_every_factor_has_a_label_of_its_own() -> None:
    assert len(set(FACTOR_LABELS.values())) == len(FACTOR_LABELS)
