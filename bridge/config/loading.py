"""The bridge's settings: one YAML file and ``BRIDGE_*`` variables, parsed once into frozen values.

``load_settings(path, environ)`` reads the embedded defaults, then the file, then the environment
(each overrides the one before) and returns a ``Settings``. Every problem is reported at once, one
per line, naming where the value came from: ``config/bridge.yaml:14: totp.digits: must be 6 or 8
(got 7)`` or ``BRIDGE_SERVER__PORT: server.port: Input should be a valid integer``. Secrets never
come from the file: see ``bridge.config.secrets``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ValidationError

from bridge.config.errors import FieldError, SettingsError
from bridge.config.fields import Section
from bridge.config.settings import Settings

__all__ = ["ENV_PREFIX", "IGNORED_ENV", "URL_KEYS", "config_path_from_env", "load_settings"]

ENV_PREFIX = "BRIDGE_"
#: ``BRIDGE_*`` variables that are not settings: read by ``bridge.config.secrets``, the CLI or the
#: tests.
IGNORED_ENV = (
    "BRIDGE_CONFIG",
    "BRIDGE_SECRET_KEY",
    "BRIDGE_ENCRYPTION_KEYS",
    "BRIDGE_MAIL_PASSWORD",
    "BRIDGE_METRICS_TOKEN",
    "BRIDGE_TEST_",
    "BRIDGE_IDP_",  # upstream client secrets, named by identity_providers[].client_secret_env
)
#: Settings that may carry a password: refused with one in the file, and readable from a file
#: named by ``<VARIABLE>_FILE`` (``BRIDGE_DATABASE_URL_FILE``) as well as from the variable.
URL_KEYS = (("database_url",), ("ephemeral", "redis_url"))
_SECRET_NAME = re.compile(r"secret|passw(or)?d|private|credential|(^|_)keys?$|_keys?_|token$")


def config_path_from_env(environ: Mapping[str, str]) -> Path | None:
    """The file named by ``BRIDGE_CONFIG``, or None (embedded defaults only)."""
    value = environ.get("BRIDGE_CONFIG", "")
    return Path(value) if value else None


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
            annotation if isinstance(annotation, type) and issubclass(annotation, Section) else None
        )
    return field


def _env_names() -> dict[str, Key]:
    names: dict[str, Key] = {}
    for name, field in Settings.model_fields.items():
        section = field.annotation
        if isinstance(section, type) and issubclass(section, Section):
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
        if isinstance(section, type) and issubclass(section, Section)
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
