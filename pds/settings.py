"""The pod's settings: one typed table, read from flags, environment and a TOML file.

Precedence, highest first: command-line flags, ``PDS_*`` environment variables, the config
file (``--config``/``PDS_CONFIG``, else ``<data_dir>/pds.toml`` if present), built-in defaults.
`as_toml` writes the settings back as such a file, saying where each value came from.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import secrets
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any


class SettingsError(ValueError):
    """A setting has a value the pod cannot use; the message says which and why."""


def _field(default: Any, help: str, **kw: Any) -> Any:
    return dataclasses.field(default=default, metadata={"help": help, **kw})


@dataclasses.dataclass(frozen=True)
class Settings:
    data_dir: Path = _field(
        Path("pds-data"), "Directory for the SQLite database and secrets.", shown="./pds-data"
    )
    database_url: str = _field(
        "",
        "SQLAlchemy URL. Empty: SQLite in the data directory. PostgreSQL for providers: "
        "postgresql+psycopg://user@host/db.",
        shown="SQLite in the data directory",
    )
    host: str = _field("127.0.0.1", "Address to listen on. 0.0.0.0 exposes the pod to the network.")
    port: int = _field(8000, "Port to listen on.")
    base_url: str = _field(
        "",
        "Public URL of the pod (scheme, host, port), used in resource IRIs and tokens. "
        "Empty: http://<host>:<port>.",
        shown="http://<host>:<port>",
    )
    pod: str = _field("default", "Name of the pod this server serves.")
    workers: int = _field(2, "Worker processes for `pds serve`.")
    max_body_bytes: int = _field(1_048_576, "Largest request body accepted, in bytes.")
    secret_key: str = _field(
        "",
        "Key for signing sessions. Empty: generated on init and kept in <data_dir>/secret_key "
        "(mode 0600). Set it explicitly when several servers share one database.",
        secret=True,
        shown="generated, kept in <data dir>/secret_key",
    )
    trusted_proxies: int = _field(
        0, "Number of reverse proxies in front of the pod whose X-Forwarded-* headers to trust."
    )
    log_level: str = _field("INFO", "Logging level: DEBUG, INFO, WARNING or ERROR.")
    allow_private_callbacks: bool = _field(
        False,
        "Let vendor callbacks point to private or local addresses (http allowed too). "
        "Only for development, where vendors run on the same machine.",
    )
    log_format: str = _field(
        "text", "Log lines as plain text, or as one JSON object per line (json) for collectors."
    )
    provider_url: str = _field(
        "",
        "Provider mode: serve every pod of the database, each at this URL with {pod} replaced "
        "by its name, a host name (https://{pod}.pods.example) or a path prefix "
        "(https://pods.example/{pod}). Empty: serve the one pod named by `pod`.",
        shown="one pod",
    )
    admin_token: str = _field(
        "",
        "Provider mode: the credential of the admin API (/admin/pods), at least 32 characters. "
        "Empty: no admin API; the `pds pods` commands work on the database directly.",
        secret=True,
        shown="no admin API",
    )
    pod_quota_bytes: int = _field(
        50_000_000, "Storage each pod may use for its documents, in bytes (0: no limit)."
    )
    pod_requests_per_minute: int = _field(
        1200,
        "Requests each pod answers per minute in each server process before 429 (0: no limit).",
    )

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'pds.sqlite3').resolve()}"

    @property
    def effective_base_url(self) -> str:
        return (self.base_url or f"http://{self.host}:{self.port}").rstrip("/")


FIELDS = {f.name: f for f in dataclasses.fields(Settings)}


def env_name(name: str) -> str:
    return f"PDS_{name.upper()}"


def flag_name(name: str) -> str:
    return "--" + name.replace("_", "-")


def default_text(name: str) -> str:
    """The default of a setting as `--help` shows it."""
    field = FIELDS[name]
    if "shown" in field.metadata:
        return str(field.metadata["shown"])
    return _toml_value(field.default).strip('"')


@dataclasses.dataclass(frozen=True)
class Resolved:
    """Settings and, for each, where its value came from: "flag --port", "env PDS_PORT",
    "config file /etc/pds.toml" or "default"."""

    settings: Settings
    sources: dict[str, str]


def _coerce(name: str, raw: Any) -> Any:
    kind = FIELDS[name].type
    if kind == "bool":
        if isinstance(raw, bool):
            return raw
        if str(raw).strip().lower() in ("1", "true", "yes", "on"):
            return True
        if str(raw).strip().lower() in ("0", "false", "no", "off", ""):
            return False
        raise SettingsError(f"{name} must be true or false, not {raw!r}")
    try:
        if kind == "int":
            value = int(raw)
            if value < 0:
                raise ValueError
            return value
        if kind == "Path":
            return Path(raw).expanduser()
        return str(raw)
    except (TypeError, ValueError):
        raise SettingsError(f"{name} must be a non-negative whole number, not {raw!r}") from None


def _read_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            table = tomllib.load(fh)
    except OSError as exc:
        raise SettingsError(f"cannot read config file {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"config file {path} is not valid TOML: {exc}") from None
    unknown = sorted(set(table) - set(FIELDS))
    if unknown:
        raise SettingsError(f"config file {path} has unknown settings: {', '.join(unknown)}")
    return table


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError as exc:  # a data directory this user may not look into
        raise SettingsError(
            f"cannot look for {path.name} in {path.parent}: {exc.strerror}"
        ) from None


def resolve_settings(
    flags: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    config_file: Path | None = None,
) -> Resolved:
    """Merge flags, environment and config file over the defaults (flags win), and say where
    each value came from."""
    flags = {k: v for k, v in (flags or {}).items() if v is not None}
    env = os.environ if env is None else env
    from_env = {name: env[env_name(name)] for name in FIELDS if env_name(name) in env}

    data_dir = Path(flags.get("data_dir") or from_env.get("data_dir") or "pds-data").expanduser()
    if config_file is None and env.get("PDS_CONFIG"):
        config_file = Path(env["PDS_CONFIG"])
    if config_file is None and _is_file(data_dir / "pds.toml"):
        config_file = data_dir / "pds.toml"
    from_file = _read_file(config_file) if config_file else {}

    merged = {**from_file, **from_env, **flags}
    values = {name: _coerce(name, value) for name, value in merged.items()}
    settings = Settings(**values)
    if settings.log_level.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise SettingsError(
            f"log_level must be DEBUG, INFO, WARNING or ERROR, not {settings.log_level!r}"
        )
    if settings.log_format not in {"text", "json"}:
        raise SettingsError(f"log_format must be text or json, not {settings.log_format!r}")
    if settings.provider_url:
        check_provider_url(settings.provider_url)
    if settings.admin_token and len(settings.admin_token) < 32:
        raise SettingsError("admin_token must be at least 32 characters long")
    sources = dict.fromkeys(FIELDS, "default")
    sources.update(dict.fromkeys(from_file, f"config file {config_file}"))
    sources.update({name: f"env {env_name(name)}" for name in from_env})
    sources.update({name: f"flag {flag_name(name)}" for name in flags})
    return Resolved(settings, sources)


def check_provider_url(template: str) -> None:
    """A provider URL has {pod} once: as the first label of its host or as a path segment."""
    from urllib.parse import urlsplit

    parts = urlsplit(template.replace("{pod}", "pod-name"))
    in_host = template.count("{pod}") == 1 and parts.hostname is not None
    host_form = (
        in_host and (parts.hostname or "").startswith("pod-name.") and "{pod}" not in (parts.path)
    )
    path_form = in_host and "/pod-name" in parts.path and "{pod}" not in parts.netloc
    if (
        parts.scheme not in ("http", "https")
        or parts.query
        or parts.fragment
        or not (host_form or path_form)
        or (path_form and not re.fullmatch(r"(/[^/{}]+)*/\{pod\}", urlsplit(template).path))
    ):
        raise SettingsError(
            f"provider_url must be an http(s) URL with {{pod}} once, as the first label of the "
            f"host (https://{{pod}}.pods.example) or as the last path segment "
            f"(https://pods.example/{{pod}}), not {template!r}"
        )


def as_toml(resolved: Resolved) -> str:
    """The settings as a config file that `resolve_settings` reads back to the same settings,
    each value followed by a comment saying where it came from.

    Secrets are never written: not the secret key, and not a database URL holding a password
    (it is shown as a comment, password masked, to be set where it came from).
    """
    settings, sources = resolved.settings, resolved.sources
    lines = [
        "# The settings in force, as a config file for `pds --config FILE`.",
        "# Each comment says where the value came from. Secrets are not shown.",
    ]
    for name, field in FIELDS.items():
        value, source = getattr(settings, name), sources[name]
        if field.metadata.get("secret"):
            unset = (
                f"generated, kept in {settings.data_dir.resolve() / 'secret_key'}"
                if name == "secret_key"
                else f"not set ({field.metadata['shown']})"
            )
            lines.append(f"# {name}: " + (f"set by {source}, not shown" if value else unset))
            continue
        if name == "data_dir":
            value = value.resolve()  # the file then means the same from any directory
        if source == "default" and "shown" in field.metadata:
            source = f"default: {field.metadata['shown']}"
        line = f"{name} = {_toml_value(value)}"
        if name == "database_url" and _holds_password(value):
            line = f"# {name} = {_toml_value(redacted_url(value))}"
            source += ", password not shown: set it there"
        lines.append(f"{line:<40}  # {source}")
    return "\n".join(lines) + "\n"


def redacted_url(url: str) -> str:
    """A database URL fit to print: its password masked."""
    from sqlalchemy import exc, make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except exc.ArgumentError:  # unparsable: it may still hold a password, so show none of it
        return "(an unreadable URL)"


def _holds_password(url: str) -> bool:
    from sqlalchemy import exc, make_url

    try:
        return bool(url) and make_url(url).password is not None
    except exc.ArgumentError:
        return True


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    # A TOML basic string: JSON's escapes are TOML's, and TOML also wants DEL escaped.
    return json.dumps(str(value), ensure_ascii=False).replace("\x7f", "\\u007f")


def ensure_secret_key(settings: Settings) -> Settings:
    """Return settings with a secret key: the configured one, or one kept in the data directory."""
    if settings.secret_key:
        return settings
    path = settings.data_dir / "secret_key"
    if not path.exists():
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        # O_EXCL: two processes starting at once must not both write a key.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(48))
    key = path.read_text().strip()
    if not key:
        raise SettingsError(f"{path} is empty: delete it to generate a new key")
    return dataclasses.replace(settings, secret_key=key)
