"""Organisations, their 2FA policy and what their admins may do (R3-R6, R9, R14, R15, R18).

``policy`` decides who needs 2FA; ``policy_rules`` holds every rule a policy change must pass and
``service`` applies the changes. The admin API, the admin console and the CLI all call
``OrgService``: each rule is enforced once.
"""

from bridge.services.orgs.access import Actor
from bridge.services.orgs.errors import OrgProblem
from bridge.services.orgs.members import MemberService, MemberStatus, Progress
from bridge.services.orgs.policy import MfaPolicy, MfaRequirement
from bridge.services.orgs.service import OrgService

__all__ = [
    "Actor",
    "MemberService",
    "MemberStatus",
    "MfaPolicy",
    "MfaRequirement",
    "OrgProblem",
    "OrgService",
    "Progress",
]
