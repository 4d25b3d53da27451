"""The settings' sections: one frozen model per top-level key (``server``, ``tokens``, ``totp``,
``flows`` ...) with the checks that concern that section alone."""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, Strict, field_validator
from pydantic import model_validator as _model_validator

from bridge.config.errors import FieldError, SettingsError
from bridge.config.fields import Bool, Int, Section, Text, between, is_loopback
from bridge.storage.ephemeral.redis_clients import check_url

__all__ = [
    "DEFAULT_ACR_LEVELS",
    "OWASP_ARGON2ID",
    "AcrLevel",
    "AuditSettings",
    "DatabaseSettings",
    "EphemeralSettings",
    "FlowBinding",
    "FlowBindings",
    "FlowSettings",
    "KeySettings",
    "LogSettings",
    "MailSettings",
    "MfaSettings",
    "PasswordSettings",
    "ServerSettings",
    "SessionSettings",
    "TokenSettings",
    "TotpSettings",
    "UiSettings",
]

#: (argon2 memory cost in KiB, time cost): OWASP's argon2id rows; a setting must meet one.
OWASP_ARGON2ID = ((47104, 1), (19456, 2), (12288, 3), (9216, 4), (7168, 5))


class DatabaseSettings(Section):
    """How long the bridge waits for PostgreSQL before it answers 503 (seconds)."""

    connect_timeout: Annotated[Int, between(1, 60)] = 3
    statement_timeout: Annotated[Int, between(1, 300)] = 5
    pool_timeout: Annotated[Int, between(1, 60)] = 5


class EphemeralSettings(Section):
    backend: Literal["memory", "redis"] = "memory"
    redis_url: Text = "redis://127.0.0.1:6379/0"
    key_prefix: Annotated[str, Strict()] = "bridge:"

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str) -> str:
        check_url(value)  # ValueError: what is wrong
        return value


class ServerSettings(Section):
    host: Text = "127.0.0.1"
    port: Annotated[Int, between(1, 65535)] = 8000
    threads: Annotated[Int, between(1, 256)] = 8


class SessionSettings(Section):
    lifetime: Annotated[Int, between(300, 2_592_000)] = 43_200
    cookie_name: Text = "bridge_session"

    @field_validator("cookie_name")
    @classmethod
    def _cookie_name(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", value):
            raise ValueError("must contain only letters, digits, '_', '.' and '-'")
        return value


class TokenSettings(Section):
    authorization_code_ttl: Annotated[Int, between(10, 600)] = 60
    access_token_ttl: Annotated[Int, between(60, 86_400)] = 600
    id_token_ttl: Annotated[Int, between(60, 86_400)] = 600
    refresh_token_ttl: Annotated[Int, between(300, 31_536_000)] = 2_592_000


class KeySettings(Section):
    signing_alg: Literal["RS256", "ES256"] = "RS256"
    rotation_grace: Annotated[Int, between(0, 2_592_000)] = 86_400


class TotpSettings(Section):
    issuer_label: Text = "The bridge"
    algorithm: Literal["SHA1", "SHA256", "SHA512"] = "SHA1"
    digits: Literal[6, 8] = 6
    period: Annotated[Int, between(15, 120)] = 30
    drift_steps: Annotated[Int, between(0, 2)] = 1

    @field_validator("issuer_label")
    @classmethod
    def _issuer_label(cls, value: str) -> str:
        if ":" in value:
            raise ValueError(
                "must not contain ':' (it separates issuer and account in otpauth URIs)"
            )
        return value


class MfaSettings(Section):
    required: Bool = True


class AuditSettings(Section):
    """The audit log. ``retention_days``: ``bridge audit prune`` deletes older events; null
    keeps them for ever (nothing is deleted unless that command runs)."""

    retention_days: Annotated[Int, between(1, 36_500)] | None = None


class MailSettings(Section):
    """Outgoing e-mail over SMTP. No ``host``: messages are logged, not sent."""

    host: Text | None = None
    port: Annotated[Int, between(1, 65535)] = 587
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: Text | None = None
    from_address: Text = "The bridge <bridge@localhost>"
    language: Literal["en", "de"] = "en"
    timeout: Annotated[Int, between(1, 300)] = 10
    queue_size: Annotated[Int, between(1, 100_000)] = 1000
    max_attempts: Annotated[Int, between(1, 20)] = 6
    retry_delay: Annotated[Int, between(1, 3600)] = 5
    # Who delivers the outbox: a thread in every serving process, or only `bridge mail worker`.
    sender: Literal["thread", "worker"] = "thread"
    poll_interval: Annotated[Int, between(1, 3600)] = 10

    @_model_validator(mode="after")
    def _no_plaintext_credentials(self) -> MailSettings:
        if (
            self.username is not None
            and self.security == "none"
            and not (self.host is not None and is_loopback(self.host))
        ):
            raise FieldError(
                ("mail", "security"),
                "must be starttls or tls when mail.username is set (credentials are never sent "
                "in the clear, except to a loopback host)",
            )
        return self


class LogSettings(Section):
    """What the bridge's own log lines look like (``bridge serve`` and the WSGI entry point)."""

    format: Literal["text", "json"] = "text"
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


def _https_or_path(value: str) -> str:
    parts = urlsplit(value)
    if value.startswith("/") and not value.startswith("//"):
        return value
    if parts.scheme != "https" or not parts.hostname:
        raise ValueError("must be an https:// URL or a path on this server (/...)")
    return value


def _colour(value: str) -> str:
    if not re.fullmatch(r"#[0-9a-fA-F]{6}", value):
        raise ValueError("must be a colour as #rrggbb")
    return value


Link = Annotated[Text, AfterValidator(_https_or_path)]
Colour = Annotated[Text, AfterValidator(_colour)]


class UiSettings(Section):
    """What people see: the default language and the operator's brand (docs/languages.md)."""

    language: Literal["en", "de"] = "en"
    product_name: Text = "The bridge"
    logo_url: Link | None = None
    accent_colour: Colour | None = None
    accent_colour_dark: Colour | None = None
    imprint_url: Link | None = None
    privacy_url: Link | None = None


class PasswordSettings(Section):
    argon2_time_cost: Annotated[Int, between(1, 20)] = 3
    argon2_memory_cost: Annotated[Int, between(7168, 4_194_304)] = 65_536
    argon2_parallelism: Annotated[Int, between(1, 16)] = 4
    # Issue 16: threads one hash or verify runs on (the hash depends on the parallelism, the
    # lanes, only). One: with a gunicorn worker per core, more only contend for the cores.
    argon2_threads: Annotated[Int, between(1, 16)] = 1
    # Issue 14: the "forgot password" link's lifetime, and how many mails one account may be
    # sent in an hour (more requests get the same answer and no mail).
    reset_link_minutes: Annotated[Int, between(5, 1440)] = 15
    reset_mails_per_hour: Annotated[Int, between(1, 20)] = 3
    # Issue 14: the shortest password accepted (NIST SP 800-63B 3.1.1.2): for an account that
    # signs in with its password alone, and while it has or needs a second factor; never below 8.
    min_length_single_factor: Annotated[Int, between(8, 64)] = 15
    min_length_with_2fa: Annotated[Int, between(8, 64)] = 8

    @_model_validator(mode="after")
    def _owasp(self) -> PasswordSettings:
        memory, time = self.argon2_memory_cost, self.argon2_time_cost
        if not any(memory >= m and time >= t for m, t in OWASP_ARGON2ID):
            rows = ", ".join(f"(m={m}, t={t})" for m, t in OWASP_ARGON2ID)
            raise ValueError(
                f"argon2_memory_cost={memory} with argon2_time_cost={time} is weaker than every "
                f"OWASP argon2id row; meet one of {rows}"
            )
        if self.argon2_threads > self.argon2_parallelism:
            raise ValueError(
                f"argon2_threads={self.argon2_threads} exceeds "
                f"argon2_parallelism={self.argon2_parallelism}: a hash runs at most one thread "
                "per lane"
            )
        return self


class FlowBinding(Section):
    """The flows one organisation or client runs; an unset one falls back to the wider binding."""

    browser: Text | None = None
    federated: Text | None = None


class FlowBindings(Section):
    """Bindings by organisation and client id; written as mappings, kept as (id, binding) pairs
    so that the settings stay hashable."""

    organisations: tuple[tuple[Text, FlowBinding], ...] = ()
    clients: tuple[tuple[Text, FlowBinding], ...] = ()

    @field_validator("organisations", "clients", mode="before")
    @classmethod
    def _pairs(cls, value: Any) -> Any:
        if value is None:
            return ()
        if isinstance(value, Mapping):
            return tuple((str(key), item) for key, item in value.items())
        return value

    def get(
        self, scope: Literal["organisations", "clients"], name: str | None
    ) -> FlowBinding | None:
        return next((binding for key, binding in getattr(self, scope) if key == name), None)


class AcrLevel(Section):
    """A level of assurance a relying party may ask for in ``acr_values``."""

    name: Text
    factors: Annotated[Int, between(1, 2)]  # distinct factors a login must have proven
    max_age: Annotated[Int, between(0, 315_360_000)] | None = None  # oldest authentication


DEFAULT_ACR_LEVELS = (
    AcrLevel(name="urn:bridge:loa:1", factors=1),
    AcrLevel(name="urn:bridge:loa:2", factors=2),
)


class FlowSettings(Section):
    directory: Path | None = None
    browser: Text = "browser"
    federated: Text = "federated"
    bindings: FlowBindings = FlowBindings()
    acr_levels: tuple[AcrLevel, ...] = DEFAULT_ACR_LEVELS

    @field_validator("acr_levels")
    @classmethod
    def _levels(cls, levels: tuple[AcrLevel, ...]) -> tuple[AcrLevel, ...]:
        names = [level.name for level in levels]
        if len(set(names)) != len(names):
            raise ValueError("level names must be unique")
        return levels

    def flow_for(
        self, kind: Literal["browser", "federated"], client_id: str | None, org_id: str | None
    ) -> str:
        """The flow id bound for a login: the client's binding, else its organisation's, else
        the global one (the most specific wins)."""
        for binding in (
            self.bindings.get("clients", client_id),
            self.bindings.get("organisations", org_id),
        ):
            chosen = None if binding is None else getattr(binding, kind)
            if chosen is not None:
                return str(chosen)
        return self.browser if kind == "browser" else self.federated

    def bound_flows(self) -> list[tuple[str, str, str]]:
        """(setting key, kind, flow id) of every binding, for checking them against the flows."""
        found = [("flows.browser", "browser", self.browser)]
        found.append(("flows.federated", "federated", self.federated))
        for scope, table in (
            ("organisations", self.bindings.organisations),
            ("clients", self.bindings.clients),
        ):
            for name, binding in table:
                for kind in ("browser", "federated"):
                    flow_id = getattr(binding, kind)
                    if flow_id is not None:
                        found.append((f"flows.bindings.{scope}.{name}.{kind}", kind, flow_id))
        return found

    @field_validator("directory")
    @classmethod
    def _absolute(cls, value: Path | None) -> Path | None:
        return None if value is None else Path.cwd() / value

    @property
    def directory_resolved(self) -> Path:
        """The folder of flow files: ``directory``, or the flows shipped in the flows package."""
        if self.directory is not None:
            return self.directory
        spec = importlib.util.find_spec("flows")
        if spec is None or spec.origin is None:
            # A namespace package: a folder named flows without __init__.py (tests/flows, say)
            # comes first on sys.path and hides the real package.
            raise SettingsError("flows.directory: cannot locate the installed flows package")
        return Path(spec.origin).parent / "builtin"
