"""The mapping file of an import: which groups and roles make whom a member of which
organisation (see ``bridge.services.imports.keycloak`` for its shape; Authelia's groups use the
``groups`` section)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bridge.services.imports.files import read_yaml
from bridge.services.imports.records import ImportFailed, Membership, OrgSpec

ROLES = ("member", "admin")
SECTIONS = ("organisations", "groups", "realm_roles", "client_roles", "identity_providers")


@dataclass(frozen=True)
class Mapping:
    organisations: tuple[OrgSpec, ...] = ()
    groups: dict[str, Membership] = field(default_factory=dict)
    realm_roles: dict[str, Membership] = field(default_factory=dict)
    client_roles: dict[str, dict[str, Membership]] = field(default_factory=dict)
    providers: dict[str, str] = field(default_factory=dict)

    def memberships(
        self, *, groups: Sequence[str], realm_roles: Sequence[str] = (), client_roles: Any = None
    ) -> tuple[Membership, ...]:
        """The user's memberships: the highest role per organisation."""
        found: list[Membership] = []
        for group in groups:
            path = group.rstrip("/")
            while path:  # the group, then its parents ("/A/B", "/A"); a plain name has none
                if path in self.groups:
                    found.append(self.groups[path])
                path = path.rsplit("/", 1)[0] if "/" in path else ""
        found.extend(self.realm_roles[role] for role in realm_roles if role in self.realm_roles)
        if isinstance(client_roles, dict):
            for client, roles in client_roles.items():
                rules = self.client_roles.get(client, {})
                if isinstance(roles, list):
                    found.extend(rules[r] for r in roles if isinstance(r, str) and r in rules)
        best: dict[str, str] = {}
        for membership in found:
            if best.get(membership.org) != "admin":
                best[membership.org] = membership.role
        return tuple(Membership(org, role) for org, role in sorted(best.items()))


def read_mapping(path: Path) -> Mapping:
    raw = read_yaml(path) or {}
    if not isinstance(raw, dict):
        raise ImportFailed(f"{path}: the mapping must be an object")
    unknown = sorted(set(raw) - set(SECTIONS))
    if unknown:
        raise ImportFailed(f"{path}: unknown section {unknown[0]!r} (known: {', '.join(SECTIONS)})")
    organisations = []
    for index, spec in enumerate(raw.get("organisations") or []):
        where = f"{path}: organisations[{index}]"
        if not isinstance(spec, dict) or not isinstance(spec.get("slug"), str):
            raise ImportFailed(f"{where}: needs a slug")
        organisations.append(
            OrgSpec(
                slug=spec["slug"],
                name=str(spec.get("name") or spec["slug"]),
                kind=str(spec.get("kind", "standalone")),
                mode=str(spec.get("mode", "production")),
                parent=spec.get("parent"),
            )
        )
    client_roles: dict[str, dict[str, Membership]] = {}
    for client, rules in _section(raw, "client_roles", path).items():
        client_roles[client] = {
            role: _membership(rule, f"{path}: client_roles.{client}.{role}")
            for role, rule in _section({"x": rules}, "x", path).items()
        }
    providers = _section(raw, "identity_providers", path)
    if not all(isinstance(value, str) for value in providers.values()):
        raise ImportFailed(f"{path}: identity_providers maps an alias to the bridge's alias")
    return Mapping(
        organisations=tuple(organisations),
        groups={
            name.rstrip("/"): _membership(rule, f"{path}: groups.{name}")
            for name, rule in _section(raw, "groups", path).items()
        },
        realm_roles={
            name: _membership(rule, f"{path}: realm_roles.{name}")
            for name, rule in _section(raw, "realm_roles", path).items()
        },
        client_roles=client_roles,
        providers=dict(providers),
    )


def _section(raw: dict[str, Any], key: str, path: Path) -> dict[str, Any]:
    value = raw.get(key) or {}
    if not isinstance(value, dict):
        raise ImportFailed(f"{path}: {key} must be an object")
    return {str(name): rule for name, rule in value.items()}


def _membership(rule: Any, where: str) -> Membership:
    if not isinstance(rule, dict) or not isinstance(rule.get("org"), str):
        raise ImportFailed(f"{where}: needs {{org: <slug>, role: member|admin}}")
    role = rule.get("role", "member")
    if role not in ROLES:
        raise ImportFailed(f"{where}: role {role!r} is not member or admin")
    return Membership(rule["org"], role)
