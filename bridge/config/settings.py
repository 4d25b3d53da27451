"""The bridge's settings: the root model that holds every section, parsed once into frozen values
by ``bridge.config.loading.load_settings``. Secrets never come from the file: see
``bridge.config.secrets``."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import field_validator
from pydantic import model_validator as _model_validator

from bridge.config.errors import FieldError
from bridge.config.fields import Section, Text, check_issuer
from bridge.config.forward_auth import ForwardAuthSettings
from bridge.config.providers import IdentityProviderSettings
from bridge.config.sections import (
    AuditSettings,
    DatabaseSettings,
    EphemeralSettings,
    FlowSettings,
    KeySettings,
    LogSettings,
    MailSettings,
    MfaSettings,
    PasswordSettings,
    ServerSettings,
    SessionSettings,
    TokenSettings,
    TotpSettings,
    UiSettings,
)

__all__ = ["Settings"]


class Settings(Section):
    issuer: Text = "http://127.0.0.1:8000"
    data_dir: Path = Path(".bridge")
    database_url: Text | None = None
    database: DatabaseSettings = DatabaseSettings()
    ephemeral: EphemeralSettings = EphemeralSettings()
    server: ServerSettings = ServerSettings()
    session: SessionSettings = SessionSettings()
    tokens: TokenSettings = TokenSettings()
    keys: KeySettings = KeySettings()
    totp: TotpSettings = TotpSettings()
    mfa: MfaSettings = MfaSettings()
    passwords: PasswordSettings = PasswordSettings()
    flows: FlowSettings = FlowSettings()
    mail: MailSettings = MailSettings()
    logs: LogSettings = LogSettings()
    ui: UiSettings = UiSettings()
    audit: AuditSettings = AuditSettings()
    forward_auth: ForwardAuthSettings = ForwardAuthSettings()
    identity_providers: tuple[IdentityProviderSettings, ...] = ()

    @field_validator("identity_providers")
    @classmethod
    def _unique_providers(
        cls, providers: tuple[IdentityProviderSettings, ...]
    ) -> tuple[IdentityProviderSettings, ...]:
        aliases = [provider.alias for provider in providers]
        if len(set(aliases)) != len(aliases):
            raise ValueError("aliases must be unique")
        domains = [domain for provider in providers for domain in provider.domains]
        if len(set(domains)) != len(domains):
            raise ValueError("an e-mail domain may belong to one provider only")
        return providers

    @field_validator("issuer")
    @classmethod
    def _issuer(cls, value: str) -> str:
        return check_issuer(value)

    @field_validator("data_dir")
    @classmethod
    def _data_dir(cls, value: Path) -> Path:
        return Path.cwd() / value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[a-z][a-z0-9+]*://.*", value, re.DOTALL):
            raise ValueError("must be a SQLAlchemy URL such as postgresql+psycopg://host/db")
        return value

    @_model_validator(mode="after")
    def _grace_covers_tokens(self) -> Settings:
        longest = max(self.tokens.access_token_ttl, self.tokens.id_token_ttl)
        if self.keys.rotation_grace < longest:
            raise FieldError(
                ("keys", "rotation_grace"),
                f"must be at least the longest signed token lifetime ({longest} s): tokens signed "
                "with a retired key must stay verifiable until they expire",
            )
        return self

    @property
    def database_is_embedded(self) -> bool:
        """True for the default database: SQLite in ``data_dir``, for one process on one host."""
        return self.database_url is None

    @property
    def database_url_resolved(self) -> str:
        """``database_url``, or ``sqlite:///<data_dir>/bridge.db`` when it is unset."""
        return self.database_url or f"sqlite:///{self.data_dir / 'bridge.db'}"
