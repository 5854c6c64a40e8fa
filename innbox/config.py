"""The environment contract: every variable Innbox reads, parsed and validated in one place.

In production a missing or malformed variable stops start-up with one message naming every
problem, so an operator fixes them all in one go instead of one restart per typo. In development
each unset variable gets a safe default, and the defaults used are listed once at start.
"""

from __future__ import annotations

import ipaddress
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

import dj_database_url
from cryptography.fernet import Fernet
from pydantic import (
    AfterValidator,
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

BASE_DIR = Path(__file__).resolve().parent.parent


class Mode(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


def _database_url(value: str) -> str:
    try:
        parsed = dj_database_url.parse(value)
    except ValueError as exc:
        raise ValueError(f"not a database URL ({exc})") from None
    if parsed.get("ENGINE") not in {
        "django.db.backends.sqlite3",
        "django.db.backends.postgresql",
    }:
        raise ValueError("only sqlite:/// and postgres:// URLs are supported")
    return value


def _fernet_keys(value: str) -> str:
    keys = [key.strip() for key in value.split(",") if key.strip()]
    if not keys:
        raise ValueError("needs at least one key")
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key.encode())
        except ValueError:
            raise ValueError(
                f"key {position} is not a Fernet key (32 url-safe base64-encoded bytes; "
                "make one with: python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())')"
            ) from None
    return ",".join(keys)


_HOST_NAME = re.compile(
    r"(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*"
)


def _private_host_allowlist(value: str) -> str:
    entries = [entry.strip().lower() for entry in value.split(",") if entry.strip()]
    for entry in entries:
        if not (_is_network(entry) or _HOST_NAME.fullmatch(entry)):
            raise ValueError(
                f"{entry!r} is neither a host name nor an address or network "
                "(e.g. qloapps.lan, 192.168.1.20, 10.0.0.0/8)"
            )
    return ",".join(entries)


def _is_network(entry: str) -> bool:
    try:
        ipaddress.ip_network(entry, strict=False)
    except ValueError:
        return False
    return True


DatabaseUrl = Annotated[str, AfterValidator(_database_url)]
FernetKeys = Annotated[str, AfterValidator(_fernet_keys)]
PrivateHostAllowlist = Annotated[str, AfterValidator(_private_host_allowlist)]


class Settings(BaseModel):
    """Field names are the environment variables. Fields without a default are required."""

    model_config = ConfigDict(frozen=True, extra="ignore", str_strip_whitespace=True)

    # App
    INNBOX_ENV: Mode = Mode.DEVELOPMENT
    APP_URL: AnyHttpUrl
    LOG_LEVEL: str = "INFO"
    # Behind a reverse proxy: the header it puts the client's address in, and how many proxies
    # (each appending one address) stand between the client and Innbox. Unset: the address that
    # connected (REMOTE_ADDR) is the client, and any X-Forwarded-For is ignored as spoofable.
    TRUSTED_PROXY_HEADER: str | None = Field(default=None, pattern=r"^[A-Za-z0-9-]{1,64}$")
    TRUSTED_PROXY_COUNT: int = Field(default=1, ge=1, le=10)
    # Production only: plain-HTTP requests are redirected to https, and browsers are told to use
    # https for this long (HSTS; 0 turns it off, which `check --deploy` reports).
    SECURE_SSL_REDIRECT: bool = True
    HSTS_SECONDS: int = Field(default=31_536_000, ge=0)

    # Database
    DATABASE_URL: DatabaseUrl
    DB_APP_ROLE: str = Field(default="innbox_app", pattern=r"^[a-z_][a-z0-9_]{0,62}$")
    DB_WORKER_ROLE: str = Field(default="innbox_worker", pattern=r"^[a-z_][a-z0-9_]{0,62}$")

    # Secrets
    SECRET_KEY: str = Field(min_length=50)
    CREDENTIALS_ENCRYPTION_KEYS: FernetKeys

    # WAHA
    WAHA_BASE_URL: AnyHttpUrl | None = None
    WAHA_API_KEY: str | None = None
    WAHA_WEBHOOK_HMAC_KEY: str | None = Field(default=None, min_length=16)
    WAHA_MULTI_SESSION: bool = False
    # Pacing like a person (WAHA's "How to Avoid Blocking"): seen, typing, random gaps.
    WAHA_PACING_ENABLED: bool = True
    WAHA_MIN_GAP_SECONDS: float = Field(default=20.0, ge=0)
    WAHA_MAX_GAP_SECONDS: float = Field(default=45.0, ge=0)
    WAHA_TYPING_CHARS_PER_SECOND: float = Field(default=12.0, gt=0)
    WAHA_MAX_TYPING_SECONDS: float = Field(default=8.0, ge=0)
    # After this many consecutive failed sends a WORKING session is shown as degraded.
    WAHA_DEGRADED_AFTER_FAILURES: int = Field(default=3, ge=1)
    WAHA_WEBHOOK_TOLERANCE_SECONDS: int = Field(default=300, ge=30, le=3600)

    # PMS webhooks (each tenant's signing secret lives in the database; these bound every request)
    PMS_WEBHOOK_TOLERANCE_SECONDS: int = Field(default=300, ge=30, le=3600)
    PMS_WEBHOOK_MAX_BODY_BYTES: int = Field(default=1_048_576, ge=1024)
    CRON_SECRET: str = Field(min_length=16)
    # PMS addresses on private networks or this server are refused, except these host names,
    # addresses and networks (comma-separated): the operator's choice, never a hotel owner's.
    PMS_ALLOWED_PRIVATE_HOSTS: PrivateHostAllowlist = ""

    # LLM (any OpenAI-compatible chat-completions endpoint); unset means the concierge runs its
    # embedded engine. One model call waits at most LLM_TIMEOUT_SECONDS (the queue retries a
    # failed turn, the SDK does not); a turn must end well inside its 2-minute lease.
    LLM_BASE_URL: AnyHttpUrl | None = None
    LLM_API_KEY: str | None = None
    LLM_MODEL: str | None = Field(default=None, validate_default=True)
    LLM_TIMEOUT_SECONDS: float = Field(default=20.0, gt=0, le=60)

    # Email: console in development unless EMAIL_HOST is set
    EMAIL_HOST: str | None = None
    EMAIL_PORT: int = Field(default=587, ge=1, le=65535)
    EMAIL_HOST_USER: str = ""
    EMAIL_HOST_PASSWORD: str = ""
    EMAIL_USE_TLS: bool = True
    DEFAULT_FROM_EMAIL: str

    # Operations: /metrics answers only with this bearer token (unset: /metrics is off, a 404);
    # /readyz and the dashboard call the worker stopped after this long without a heartbeat.
    METRICS_TOKEN: str | None = Field(default=None, min_length=16)
    WORKER_HEARTBEAT_STALE_MINUTES: int = Field(default=5, ge=1, le=1440)

    @field_validator("APP_URL", "WAHA_BASE_URL", "LLM_BASE_URL")
    @classmethod
    def _no_credentials_in_url(cls, value: AnyHttpUrl | None) -> AnyHttpUrl | None:
        if value is not None and (value.username or value.password):
            raise ValueError("must not contain a user name or password")
        return value

    @field_validator("WAHA_MAX_GAP_SECONDS")
    @classmethod
    def _gap_range_is_ordered(cls, value: float, info: ValidationInfo) -> float:
        if value < info.data.get("WAHA_MIN_GAP_SECONDS", 0):
            raise ValueError("must be at least WAHA_MIN_GAP_SECONDS")
        return value

    @field_validator("LLM_MODEL")
    @classmethod
    def _model_names_the_llm(cls, value: str | None, info: ValidationInfo) -> str | None:
        # A field validator, not a model one, so it is reported together with every other
        # problem rather than only once the rest are fixed.
        if info.data.get("LLM_BASE_URL") and not value:
            raise ValueError("required when LLM_BASE_URL is set")
        return value

    @property
    def is_production(self) -> bool:
        return self.INNBOX_ENV is Mode.PRODUCTION

    @property
    def app_host(self) -> str:
        return urlsplit(str(self.APP_URL)).hostname or "localhost"

    @property
    def sandbox_messaging(self) -> bool:
        """No WAHA configured: messages are recorded, not delivered."""
        return self.WAHA_BASE_URL is None


class ProductionSettings(Settings):
    """In production, guests must really get messages and staff their invitation emails."""

    WAHA_BASE_URL: AnyHttpUrl
    WAHA_API_KEY: str
    WAHA_WEBHOOK_HMAC_KEY: str = Field(min_length=16)
    EMAIL_HOST: str


# Development defaults: safe to publish, useless in production (they are in this file).
DEV_DEFAULTS: dict[str, str] = {
    "APP_URL": "http://127.0.0.1:8000",
    "DATABASE_URL": f"sqlite:///{BASE_DIR / 'var' / 'innbox.sqlite3'}",
    "SECRET_KEY": "dev-only-insecure-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
    "CREDENTIALS_ENCRYPTION_KEYS": "ZGV2LW9ubHktaW5zZWN1cmUtY3JlZGVudGlhbC1rZXk=",
    "CRON_SECRET": "dev-only-cron-secret",
    "WAHA_WEBHOOK_HMAC_KEY": "dev-only-waha-webhook-hmac-key",
    "DEFAULT_FROM_EMAIL": "Innbox <innbox@localhost>",
}


class ConfigError(Exception):
    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(self.message)

    @property
    def message(self) -> str:
        lines = [f"Innbox cannot start: {len(self.problems)} configuration problem(s)"]
        lines += [f"  - {problem}" for problem in self.problems]
        lines.append("See .env.example for every variable and its format.")
        return "\n".join(lines)


@dataclass(frozen=True)
class LoadedConfig:
    settings: Settings
    defaults_used: tuple[str, ...]


def load(environ: Mapping[str, str]) -> LoadedConfig:
    """Parse the environment; raise ConfigError naming every problem at once."""
    raw: dict[str, Any] = {
        name: environ[name]
        for name in Settings.model_fields
        if name in environ and environ[name] != ""
    }
    mode = raw.get("INNBOX_ENV", Mode.DEVELOPMENT.value)
    defaults_used: list[str] = []
    if mode != Mode.PRODUCTION.value:
        for name, value in DEV_DEFAULTS.items():
            if name not in raw:
                raw[name] = value
                defaults_used.append(name)
    model = ProductionSettings if mode == Mode.PRODUCTION.value else Settings
    try:
        settings = model.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_describe(exc)) from None
    return LoadedConfig(settings=settings, defaults_used=tuple(defaults_used))


def _describe(exc: ValidationError) -> list[str]:
    problems = []
    for error in exc.errors(include_url=False):
        name = ".".join(str(part) for part in error["loc"])
        if error["type"] == "missing":
            problems.append(f"{name}: missing (required)")
        else:
            message = str(error["msg"]).removeprefix("Value error, ")
            problems.append(f"{name}: {message}")
    return problems


_loaded: LoadedConfig | None = None


def get() -> LoadedConfig:
    global _loaded
    if _loaded is None:
        _loaded = load(os.environ)
    return _loaded


def load_or_exit(*, announce_defaults: bool) -> LoadedConfig:
    """Entry points (manage.py, wsgi) call this first so a bad environment exits cleanly."""
    try:
        loaded = get()
    except ConfigError as exc:
        print(exc.message, file=sys.stderr)
        raise SystemExit(2) from None
    if announce_defaults and loaded.defaults_used:
        print(
            "Innbox development mode; defaults used for: "
            + ", ".join(loaded.defaults_used)
            + " (set INNBOX_ENV=production to require real values)",
            file=sys.stderr,
        )
    if announce_defaults and loaded.settings.sandbox_messaging:
        print("Sandbox: WAHA_BASE_URL is not set, messages are not delivered.", file=sys.stderr)
    return loaded
