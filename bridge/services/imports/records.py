"""What every import reader produces: users in one shape, and the records it could not read."""

from __future__ import annotations

from dataclasses import dataclass, field

from bridge.domain.errors import InvalidInput
from bridge.services.foreign_passwords import ForeignHash


class ImportFailed(InvalidInput):
    """A whole file cannot be read (missing, not JSON/YAML/CSV, the wrong shape): the run
    stops before writing anything. One bad record is a ``Problem`` instead."""

    code = "import-failed"
    title = "The file cannot be imported"


@dataclass(frozen=True)
class Problem:
    """A record that was not imported: where it is (file and position) and why."""

    position: str
    reason: str

    def __str__(self) -> str:
        return f"{self.position}: {self.reason}"


@dataclass(frozen=True)
class ImportedTotp:
    """An authenticator: the raw secret and how codes are computed from it."""

    secret: bytes = field(repr=False)
    algorithm: str = "SHA1"
    digits: int = 6
    period: int = 30
    last_used_step: int | None = None


@dataclass(frozen=True)
class Membership:
    org: str  # slug
    role: str  # "member" or "admin"


@dataclass(frozen=True)
class OrgSpec:
    """An organisation the import creates when it does not exist yet."""

    slug: str
    name: str
    kind: str = "standalone"
    mode: str = "production"
    parent: str | None = None
    policy: dict[str, object] = field(default_factory=dict)
    verified_domains: tuple[str, ...] = ()


@dataclass(frozen=True)
class ImportedUser:
    """One user as a source describes them. ``password`` is a foreign hash (verified as it is
    until the first login) or, from a bridge export, the bridge's own argon2id hash."""

    position: str
    username: str
    email: str | None = None
    email_verified: bool = False
    name: str | None = None
    disabled: bool = False
    password: ForeignHash | None = field(default=None, repr=False)
    native_password_hash: str | None = field(default=None, repr=False)
    totp: ImportedTotp | None = field(default=None, repr=False)
    memberships: tuple[Membership, ...] = ()
    links: tuple[tuple[str, str], ...] = ()  # (provider alias, subject)
    mfa_required: bool = False
    service_account: bool = False

    @property
    def has_password(self) -> bool:
        return self.password is not None or self.native_password_hash is not None


@dataclass
class Source:
    """What a reader made of its files."""

    name: str  # "keycloak", "authelia", "generic", "bridge"
    files: tuple[str, ...]
    users: list[ImportedUser] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    organisations: list[OrgSpec] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
