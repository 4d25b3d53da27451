"""The bridge's settings: one YAML file and ``BRIDGE_*`` variables, parsed once into frozen values.

``load_settings(path, environ)`` reads the embedded defaults, then the file, then the environment
(each overrides the one before) and returns a ``Settings``. Every problem is reported at once, one
per line, naming where the value came from: ``config/bridge.yaml:14: totp.digits: must be 6 or 8
(got 7)`` or ``BRIDGE_SERVER__PORT: server.port: Input should be a valid integer``. Secrets never
come from the file: see ``bridge.config.secrets``.
"""

from __future__ import annotations

import difflib
import importlib.util
import ipaddress
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Strict, ValidationError, field_validator
from pydantic import model_validator as _model_validator

from bridge.domain.validators import DOMAIN, PROVIDER_ALIAS

__all__ = [
    "EphemeralSettings",
    "FlowSettings",
    "IdentityProviderSettings",
    "KeySettings",
    "MailSettings",
    "MfaSettings",
    "PasswordSettings",
    "ServerSettings",
    "SessionSettings",
    "Settings",
    "SettingsError",
    "TokenSettings",
    "TotpSettings",
    "config_path_from_env",
    "load_settings",
]

ENV_PREFIX = "BRIDGE_"
#: ``BRIDGE_*`` variables that are not settings: read by ``bridge.config.secrets``, the CLI or the
#: tests.
IGNORED_ENV = (
    "BRIDGE_CONFIG",
    "BRIDGE_SECRET_KEY",
    "BRIDGE_ENCRYPTION_KEYS",
    "BRIDGE_MAIL_PASSWORD",
    "BRIDGE_TEST_",
    "BRIDGE_IDP_",  # upstream client secrets, named by identity_providers[].client_secret_env
)
#: Settings that may carry a password: refused with one in the file, and readable from a file
#: named by ``<VARIABLE>_FILE`` (``BRIDGE_DATABASE_URL_FILE``) as well as from the variable.
URL_KEYS = (("database_url",), ("ephemeral", "redis_url"))
#: (argon2 memory cost in KiB, time cost): OWASP's argon2id rows; a setting must meet one.
OWASP_ARGON2ID = ((47104, 1), (19456, 2), (12288, 3), (9216, 4), (7168, 5))
_SECRET_NAME = re.compile(r"secret|passw(or)?d|private|credential|(^|_)keys?$|_keys?_|token$")
_LOOPBACK_NAMES = frozenset({"localhost"})


class SettingsError(Exception):
    """The configuration cannot be used; ``problems`` holds one line per problem."""

    def __init__(self, problems: str | Iterable[str]) -> None:
        self.problems = (problems,) if isinstance(problems, str) else tuple(problems)
        super().__init__("\n".join(self.problems))


class FieldError(ValueError):
    """A validation problem that belongs to ``path`` (and its origin) rather than where raised."""

    def __init__(self, path: tuple[str, ...], message: str) -> None:
        super().__init__(message)
        self.path = path


def _between(low: int, high: int) -> AfterValidator:
    def check(value: int) -> int:
        if not low <= value <= high:
            raise ValueError(f"must be between {low} and {high}")
        return value

    return AfterValidator(check)


def _non_empty(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


Int = Annotated[int, Strict()]
Bool = Annotated[bool, Strict()]
Text = Annotated[str, Strict(), AfterValidator(_non_empty)]


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)


class EphemeralSettings(_Section):
    backend: Literal["memory", "redis"] = "memory"
    redis_url: Text = "redis://127.0.0.1:6379/0"
    key_prefix: Annotated[str, Strict()] = "bridge:"

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str) -> str:
        if urlsplit(value).scheme not in {"redis", "rediss", "unix"}:
            raise ValueError("must be a redis://, rediss:// or unix:// URL")
        return value


class ServerSettings(_Section):
    host: Text = "127.0.0.1"
    port: Annotated[Int, _between(1, 65535)] = 8000
    threads: Annotated[Int, _between(1, 256)] = 8


class SessionSettings(_Section):
    lifetime: Annotated[Int, _between(300, 2_592_000)] = 43_200
    cookie_name: Text = "bridge_session"

    @field_validator("cookie_name")
    @classmethod
    def _cookie_name(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", value):
            raise ValueError("must contain only letters, digits, '_', '.' and '-'")
        return value


class TokenSettings(_Section):
    authorization_code_ttl: Annotated[Int, _between(10, 600)] = 60
    access_token_ttl: Annotated[Int, _between(60, 86_400)] = 600
    id_token_ttl: Annotated[Int, _between(60, 86_400)] = 600
    refresh_token_ttl: Annotated[Int, _between(300, 31_536_000)] = 2_592_000


class KeySettings(_Section):
    signing_alg: Literal["RS256", "ES256"] = "RS256"
    rotation_grace: Annotated[Int, _between(0, 2_592_000)] = 86_400


class TotpSettings(_Section):
    issuer_label: Text = "The bridge"
    algorithm: Literal["SHA1", "SHA256", "SHA512"] = "SHA1"
    digits: Literal[6, 8] = 6
    period: Annotated[Int, _between(15, 120)] = 30
    drift_steps: Annotated[Int, _between(0, 2)] = 1

    @field_validator("issuer_label")
    @classmethod
    def _issuer_label(cls, value: str) -> str:
        if ":" in value:
            raise ValueError(
                "must not contain ':' (it separates issuer and account in otpauth URIs)"
            )
        return value


class MfaSettings(_Section):
    required: Bool = True


class MailSettings(_Section):
    """Outgoing e-mail over SMTP. No ``host``: messages are logged, not sent."""

    host: Text | None = None
    port: Annotated[Int, _between(1, 65535)] = 587
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: Text | None = None
    from_address: Text = "The bridge <bridge@localhost>"
    language: Literal["en", "de"] = "en"
    timeout: Annotated[Int, _between(1, 300)] = 10
    queue_size: Annotated[Int, _between(1, 100_000)] = 1000
    max_attempts: Annotated[Int, _between(1, 20)] = 6
    retry_delay: Annotated[Int, _between(1, 3600)] = 5

    @_model_validator(mode="after")
    def _no_plaintext_credentials(self) -> MailSettings:
        if (
            self.username is not None
            and self.security == "none"
            and not (self.host is not None and _is_loopback(self.host))
        ):
            raise FieldError(
                ("mail", "security"),
                "must be starttls or tls when mail.username is set (credentials are never sent "
                "in the clear, except to a loopback host)",
            )
        return self


class PasswordSettings(_Section):
    argon2_time_cost: Annotated[Int, _between(1, 20)] = 3
    argon2_memory_cost: Annotated[Int, _between(7168, 4_194_304)] = 65_536
    argon2_parallelism: Annotated[Int, _between(1, 16)] = 4

    @_model_validator(mode="after")
    def _owasp(self) -> PasswordSettings:
        memory, time = self.argon2_memory_cost, self.argon2_time_cost
        if not any(memory >= m and time >= t for m, t in OWASP_ARGON2ID):
            rows = ", ".join(f"(m={m}, t={t})" for m, t in OWASP_ARGON2ID)
            raise ValueError(
                f"argon2_memory_cost={memory} with argon2_time_cost={time} is weaker than every "
                f"OWASP argon2id row; meet one of {rows}"
            )
        return self


class FlowBinding(_Section):
    """The flows one organisation or client runs; an unset one falls back to the wider binding."""

    browser: Text | None = None
    federated: Text | None = None


class FlowBindings(_Section):
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


class AcrLevel(_Section):
    """A level of assurance a relying party may ask for in ``acr_values``."""

    name: Text
    factors: Annotated[Int, _between(1, 2)]  # distinct factors a login must have proven
    max_age: Annotated[Int, _between(0, 315_360_000)] | None = None  # oldest authentication


DEFAULT_ACR_LEVELS = (
    AcrLevel(name="urn:bridge:loa:1", factors=1),
    AcrLevel(name="urn:bridge:loa:2", factors=2),
)


class FlowSettings(_Section):
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


#: ID token algorithms an upstream provider may use: asymmetric only. ``none`` and HMAC (``HS*``)
#: are refused: an HMAC "signature" made with the provider's public key would otherwise verify.
UPSTREAM_ALGORITHMS = (
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512",
)  # fmt: skip
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class ClaimMapping(_Section):
    """Which upstream ID token claims hold the subject, the e-mail and the name."""

    subject: Text = "sub"
    email: Text = "email"
    email_verified: Text = "email_verified"
    name: Text = "name"


class IdentityProviderSettings(_Section):
    """An upstream OpenID Connect provider (issue 6). The client secret comes from the
    environment variable named by ``client_secret_env`` or the file ``client_secret_file``;
    neither set: a public client (PKCE only)."""

    alias: Text
    issuer: Text
    client_id: Text
    client_secret_env: Text | None = None
    client_secret_file: Path | None = None
    display_name: Text | None = None
    scopes: tuple[Text, ...] = ("openid", "email", "profile")
    organisation: Text | None = None  # its slug; None: a global "log in with ..." provider
    domains: tuple[Text, ...] = ()  # e-mail domains sent here by home-realm discovery
    claims: ClaimMapping = ClaimMapping()
    link_by_verified_email: Bool = False
    trusted_amr: Bool = False  # pass the upstream's own amr values through, beside "fed"
    algorithms: tuple[Text, ...] = ("RS256", "ES256")
    timeout: Annotated[Int, _between(1, 60)] = 10
    metadata_ttl: Annotated[Int, _between(60, 86_400)] = 3600  # discovery and JWKS cache
    max_clock_skew: Annotated[Int, _between(0, 600)] = 120

    @field_validator("alias")
    @classmethod
    def _alias(cls, value: str) -> str:
        if not PROVIDER_ALIAS.fullmatch(value):
            raise ValueError("must be 1-63 characters of a-z, 0-9, '_' and '-' (a URL slug)")
        return value

    @field_validator("issuer")
    @classmethod
    def _issuer(cls, value: str) -> str:
        _check_issuer(value)  # kept as written: upstream iss values are compared exactly
        return value

    @field_validator("client_secret_env")
    @classmethod
    def _env_name(cls, value: str | None) -> str | None:
        if value is not None and not _ENV_NAME.fullmatch(value):
            raise ValueError("must be the name of an environment variable")
        return value

    @field_validator("scopes")
    @classmethod
    def _scopes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if "openid" not in value:
            raise ValueError("must include openid")
        if any(not re.fullmatch(r"[\x21\x23-\x5b\x5d-\x7e]+", scope) for scope in value):
            raise ValueError("each scope must be one word of printable ASCII")
        return value

    @field_validator("domains")
    @classmethod
    def _domains(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        normal = tuple(domain.strip().lower() for domain in value)
        for domain in normal:
            if not DOMAIN.fullmatch(domain):
                raise ValueError(f"{domain!r} is not a domain name")
        if len(set(normal)) != len(normal):
            raise ValueError("must not repeat a domain")
        return normal

    @field_validator("algorithms")
    @classmethod
    def _algorithms(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("must name at least one algorithm")
        for alg in value:
            if alg.lower() == "none" or alg.upper().startswith("HS"):
                raise ValueError(
                    f"{alg!r} is refused: ID tokens must be signed with a public-key algorithm "
                    "(never 'none', never HMAC)"
                )
            if alg not in UPSTREAM_ALGORITHMS:
                raise ValueError(f"{alg!r} is not one of {', '.join(UPSTREAM_ALGORITHMS)}")
        return value

    @_model_validator(mode="before")
    @classmethod
    def _no_secret_in_file(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and "client_secret" in data:
            raise ValueError(
                "client_secret: secrets are not read from the configuration file; name an "
                "environment variable with client_secret_env (BRIDGE_IDP_<ALIAS>_CLIENT_SECRET) "
                "or a file with client_secret_file"
            )
        return data

    @_model_validator(mode="after")
    def _one_secret_source(self) -> IdentityProviderSettings:
        if self.client_secret_env is not None and self.client_secret_file is not None:
            raise ValueError("set client_secret_env or client_secret_file, not both")
        return self


class Settings(_Section):
    issuer: Text = "http://127.0.0.1:8000"
    data_dir: Path = Path(".bridge")
    database_url: Text | None = None
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
        return _check_issuer(value)

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


def _check_issuer(value: str) -> str:
    if re.search(r"[\s?#]", value):
        raise ValueError("must be an absolute URL without spaces, query or fragment")
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError("must be an absolute http:// or https:// URL")
    if parts.username is not None or parts.password is not None:
        raise ValueError("must not contain a user name or password")
    try:
        parts.port  # noqa: B018 - parsing the port validates it
    except ValueError:
        raise ValueError("has an invalid port") from None
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ValueError("must use https:// (http:// is allowed only for localhost and loopback)")
    return value.rstrip("/")


def _is_loopback(host: str) -> bool:
    if host in _LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def config_path_from_env(environ: Mapping[str, str]) -> Path | None:
    """The file named by ``BRIDGE_CONFIG``, or None (embedded defaults only)."""
    value = environ.get("BRIDGE_CONFIG", "")
    return Path(value) if value else None


# ---------------------------------------------------------------------------------------------
# Loading: the file, the environment, and errors that name their origin.

Key = tuple[str, ...]
KeyLine = tuple[Key, int]


def load_settings(path: Path | None, environ: Mapping[str, str]) -> Settings:
    """Parse defaults < ``path`` < ``environ`` into ``Settings``; raise ``SettingsError``."""
    data: dict[str, Any] = {}
    origins: dict[Key, str] = {}
    problems: list[str] = []
    if path is not None:
        data, lines = _read_yaml(path)
        origins = {key: f"{path}:{line}" for key, line in lines.items()}
        problems += _refuse_secrets(data, origins)
        flows = data.get("flows")
        if isinstance(flows, dict) and isinstance(flows.get("directory"), str):
            flows["directory"] = str(path.parent / flows["directory"])
    problems += _apply_environment(data, origins, environ)
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        problems += [_describe(error, origins, path) for error in exc.errors()]
    if problems:
        raise SettingsError(problems)
    return settings


def _read_yaml(path: Path) -> tuple[dict[str, Any], dict[Key, int]]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SettingsError(f"{path}: configuration file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{path}: cannot read the configuration file: {exc}") from None
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = {} if node is None else loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 1
        raise SettingsError(f"{path}:{line}: invalid YAML: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise SettingsError(f"{path}: invalid YAML: {exc}") from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise SettingsError(f"{path}:1: the file must hold a mapping of settings")
    lines: dict[Key, int] = {}
    duplicates = list(_key_lines(node, (), lines))
    if duplicates:
        raise SettingsError(
            f"{path}:{line}: {'.'.join(key)}: duplicate key" for key, line in duplicates
        )
    return data, lines


def _key_lines(node: yaml.Node | None, prefix: Key, lines: dict[Key, int]) -> Iterator[KeyLine]:
    """Record the 1-based line of every key path; yield the paths that occur twice."""
    if not isinstance(node, yaml.MappingNode):
        return
    seen: set[str] = set()
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = (*prefix, str(key_node.value))
        line = key_node.start_mark.line + 1
        if key[-1] in seen:
            yield key, line
        seen.add(key[-1])
        lines[key] = line
        yield from _key_lines(value_node, key, lines)


def _refuse_secrets(data: dict[str, Any], origins: Mapping[Key, str]) -> list[str]:
    """Secrets belong in the environment or in files: refuse (and drop) any the YAML holds."""
    hint = "secrets are not read from the configuration file; see docs/configuration.md#secrets"
    problems = []
    for key, section in list(_unknown_keys(data, ())):
        if _SECRET_NAME.search(key[-1].lower()):
            problems.append(f"{origins.get(key, '?')}: {'.'.join(key)}: {hint}")
            del section[key[-1]]
    for key in URL_KEYS:
        value = _get(data, key)
        if isinstance(value, str) and _has_password(value):
            problems.append(
                f"{origins.get(key, '?')}: {'.'.join(key)}: contains a password; {hint} "
                f"(set {ENV_PREFIX}{'__'.join(key).upper()} or its _FILE variant instead)"
            )
    return problems


def _unknown_keys(data: dict[str, Any], prefix: Key) -> Iterator[tuple[Key, dict[str, Any]]]:
    """Key paths the schema does not know (outermost only), each with the mapping holding it."""
    for name, value in data.items():
        key = (*prefix, str(name))
        if _field_at(key) is None:
            yield key, data
        elif isinstance(value, dict):
            yield from _unknown_keys(value, key)


def _get(data: Any, key: Key) -> Any:
    for name in key:
        data = data.get(name) if isinstance(data, dict) else None
    return data


def _has_password(url: str) -> bool:
    try:
        return urlsplit(url).password is not None
    except ValueError:
        return False


def _field_at(key: Key) -> object | None:
    """The model field (or section model) a key path names, or None when the schema has none."""
    model: type[BaseModel] | None = Settings
    field: object | None = None
    for name in key:
        if model is None or name not in model.model_fields:
            return None
        field = model.model_fields[name]
        annotation = model.model_fields[name].annotation
        model = (
            annotation
            if isinstance(annotation, type) and issubclass(annotation, _Section)
            else None
        )
    return field


def _env_names() -> dict[str, Key]:
    names: dict[str, Key] = {}
    for name, field in Settings.model_fields.items():
        section = field.annotation
        if isinstance(section, type) and issubclass(section, _Section):
            for sub in section.model_fields:
                names[f"{ENV_PREFIX}{name}__{sub}".upper()] = (name, sub)
        else:
            names[f"{ENV_PREFIX}{name}".upper()] = (name,)
    return names


def _apply_environment(
    data: dict[str, Any], origins: dict[Key, str], environ: Mapping[str, str]
) -> list[str]:
    known = _env_names()
    files = {f"{name}_FILE": key for name, key in known.items() if key in URL_KEYS}
    sections = {f"{ENV_PREFIX}{key[0]}".upper() for key in known.values() if len(key) == 2}
    problems = []
    for variable in sorted(environ):
        if not re.fullmatch(r"BRIDGE_[A-Z0-9_]+", variable) or variable.startswith(IGNORED_ENV):
            continue
        key = known.get(variable) or files.get(variable)
        if key is None:
            if variable in sections:
                problems.append(f"{variable}: is a section; set {variable}__<KEY> for each key")
            else:
                close = difflib.get_close_matches(variable, [*known, *files], n=1)
                hint = f" (did you mean {close[0]}?)" if close else ""
                problems.append(f"{variable}: not a known setting{hint}")
            continue
        if variable in files:
            plain = variable.removesuffix("_FILE")
            if plain in environ:
                problems.append(f"{variable}: set either {plain} or {variable}, not both")
                continue
            try:
                value: Any = Path(environ[variable]).read_text(encoding="utf-8").strip()
            except (OSError, UnicodeDecodeError) as exc:
                problems.append(f"{variable}: cannot read {environ[variable]}: {exc}")
                continue
        else:
            value = _yaml_scalar(environ[variable])
        target = data
        if len(key) == 2:
            target = data.setdefault(key[0], {})
            if not isinstance(target, dict):
                continue  # the file's own error about this section is reported
        target[key[-1]] = value
        origins[key] = variable
    return problems


def _yaml_scalar(text: str) -> Any:
    """An environment value read as a YAML scalar (9000, false, null); anything else stays text."""
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    return text if isinstance(value, dict | list) else value


def _describe(error: Mapping[str, Any], origins: Mapping[Key, str], path: Path | None) -> str:
    key: Key = tuple(str(part) for part in error["loc"])
    cause = error.get("ctx", {}).get("error")
    if isinstance(cause, FieldError):
        key, message = cause.path, str(cause)
    elif error["type"] == "value_error" and cause is not None:
        message = str(cause)
    elif error["type"] == "literal_error":
        message = f"must be {error['ctx']['expected']}"
    elif error["type"] == "extra_forbidden":
        siblings = Settings.model_fields if len(key) == 1 else _section_fields(key[:-1])
        close = difflib.get_close_matches(key[-1], siblings, n=1)
        message = "unknown key" + (f" (did you mean {close[0]!r}?)" if close else "")
    else:
        message = error["msg"]
    value = error.get("input")
    quiet = error["type"] == "extra_forbidden" or key[-1:] in {("database_url",), ("redis_url",)}
    if not quiet and (value is None or isinstance(value, str | int | float)):
        message += f" (got {value!r})"
    return f"{_origin(key, origins, path)}: {'.'.join(key) or '<top level>'}: {message}"


def _section_fields(key: Key) -> list[str]:
    field = Settings.model_fields.get(key[0]) if key else None
    section = field.annotation if field is not None else None
    return (
        list(section.model_fields)
        if isinstance(section, type) and issubclass(section, _Section)
        else []
    )


def _origin(key: Key, origins: Mapping[Key, str], path: Path | None) -> str:
    """Where ``key`` was set: its environment variable, or file:line; for a whole section, the
    variables that changed it, else the section's own line."""
    if key in origins:
        return origins[key]
    inner = [origin for other, origin in origins.items() if other[: len(key)] == key]
    variables = sorted(origin for origin in inner if origin.startswith(ENV_PREFIX))
    if variables:
        return ", ".join(variables)
    if inner:
        return inner[0]
    return str(path) if path is not None else "defaults"
