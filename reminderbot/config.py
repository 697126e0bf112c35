"""Settings from the environment (and an optional `.env` file), validated at the edge."""

from __future__ import annotations

import os
import re
from datetime import timedelta
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

ENV_PREFIX = "REMINDERBOT_"
_SECRET_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_BOT_TOKEN_RE = re.compile(r"^\d+:[A-Za-z0-9_-]{20,}$")


class SettingsError(Exception):
    """A setting is missing or wrong; the message is one line naming the setting."""


def default_data_dir() -> Path:
    """Return the per-user data folder (XDG data home) where the SQLite file lives by default."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "reminderbot"


class Settings(BaseSettings):
    """Deployment settings; every field is documented in the README's configuration table."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
    )

    telegram_bot_token: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("TELEGRAM_BOT_TOKEN", "REMINDERBOT_TELEGRAM_BOT_TOKEN"),
    )
    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str = ""
    telegram_api_url: str = "https://api.telegram.org"
    coordinator_ids: Annotated[tuple[int, ...], NoDecode] = ()
    default_timezone: str = "UTC"
    emergency_number: str = "112"
    # Unset: "your care team" in each reader's language (common.default.care_team_contact).
    care_team_contact: str | None = None
    webhook_url: str = ""
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    webhook_secret_token: SecretStr | None = None
    auto_migrate: bool = True
    tick_seconds: float = Field(default=5.0, ge=0.1, le=300)
    watch_seconds: float = Field(default=60.0, ge=1, le=3600)
    grace_hours: float = Field(default=3.0, ge=0, le=72)
    rate_per_second: float = Field(default=30.0, gt=0, le=1000)
    paid_broadcast: bool = False
    worker_id: str = ""
    lease_seconds: float = Field(default=30.0, ge=1, le=3600)
    messages_dir: Path | None = None
    log_level: str = "INFO"
    # "text" (one readable line per event) or "json" (one JSON object per line).
    log_format: str = "text"
    # The ops endpoint (/healthz, /readyz, /metrics): off unless a port is set, so that several
    # workers on one host never fight over a default port; loopback unless told otherwise.
    ops_listen: str = "127.0.0.1"
    ops_port: int | None = Field(default=None, ge=1, le=65535)
    # `reminderbot status` warns when a wave's last message would go out later than this.
    forecast_warn_minutes: float = Field(default=15.0, gt=0, le=24 * 60)
    invite_days: float = Field(default=7.0, gt=0, le=90)

    @property
    def invite_ttl(self) -> timedelta:
        """How long a caregiver invite link stays usable."""
        return timedelta(days=self.invite_days)

    @field_validator("telegram_bot_token", mode="before")
    @classmethod
    def _blank_token_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("telegram_bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _BOT_TOKEN_RE.match(value.get_secret_value()):
            raise ValueError(
                "does not look like a bot token (expected '123456789:ABC…' from @BotFather)"
            )
        return value

    @field_validator("telegram_api_url", "webhook_url")
    @classmethod
    def _http_url(cls, value: str, info: Any) -> str:
        value = value.strip().rstrip("/")
        if not value and info.field_name == "webhook_url":
            return value
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"{value!r} is not an http(s) URL (example: https://api.telegram.org)")
        return value

    @field_validator("coordinator_ids", mode="before")
    @classmethod
    def _comma_separated_ids(cls, value: Any) -> Any:
        if isinstance(value, str):
            ids = []
            for part in value.replace(";", ",").split(","):
                part = part.strip()
                if not part:
                    continue
                if not part.lstrip("-").isdigit():
                    raise ValueError(
                        f"{part!r} is not a Telegram user id (digits, comma-separated)"
                    )
                ids.append(int(part))
            return tuple(ids)
        return value

    @field_validator("default_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        value = value.strip()
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"{value!r} is not a known IANA time zone (examples: Europe/Berlin, Asia/Shanghai)"
            ) from None
        return value

    @field_validator("emergency_number", "care_team_contact")
    @classmethod
    def _not_blank(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.strip():
            raise ValueError("must not be empty: it appears in every escalation message")
        return value.strip()

    @field_validator("webhook_secret_token")
    @classmethod
    def _secret_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _SECRET_TOKEN_RE.match(value.get_secret_value()):
            raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @field_validator("messages_dir")
    @classmethod
    def _catalog_folder(cls, value: Path | None) -> Path | None:
        if value is not None and not (value / "locales.yaml").is_file():
            raise ValueError(f"{value} has no locales.yaml; point it at a copy of messages/")
        return value

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        value = value.strip().upper()
        if value not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError(f"{value!r} is not one of DEBUG, INFO, WARNING, ERROR")
        return value

    @field_validator("log_format")
    @classmethod
    def _log_format(cls, value: str) -> str:
        value = value.strip().lower()
        if value not in {"text", "json"}:
            raise ValueError(f"{value!r} is not one of text, json")
        return value

    @field_validator("ops_port", mode="before")
    @classmethod
    def _blank_port_is_off(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @cached_property
    def resolved_database_url(self) -> str:
        """Return the database URL, defaulting to a SQLite file in the data folder."""
        return self.database_url.strip() or f"sqlite:///{self.data_dir / 'reminderbot.sqlite3'}"

    @property
    def webhook_enabled(self) -> bool:
        """Say whether the bot takes updates by webhook rather than polling."""
        return bool(self.webhook_url)

    def token(self) -> str:
        """Return the bot token, or raise SettingsError when it is not set."""
        if self.telegram_bot_token is None:
            raise SettingsError(
                "TELEGRAM_BOT_TOKEN: not set. Get a token from @BotFather and set it in the "
                "environment or in .env (or try `reminderbot demo`, which needs none)."
            )
        return self.telegram_bot_token.get_secret_value()

    def check_webhook(self) -> None:
        """Raise SettingsError when webhook mode is configured without its secret token."""
        if self.webhook_enabled and self.webhook_secret_token is None:
            raise SettingsError(
                f"{ENV_PREFIX}WEBHOOK_SECRET_TOKEN: not set. Webhook mode needs a secret so "
                "that only Telegram can post updates (1-256 characters of A-Z, a-z, 0-9, _ and -)."
            )


def _setting_name(loc: tuple[Any, ...]) -> str:
    field = str(loc[0]) if loc else "?"
    if field in ("telegram_bot_token", "TELEGRAM_BOT_TOKEN"):
        return "TELEGRAM_BOT_TOKEN"
    return f"{ENV_PREFIX}{field.upper()}"


def load_settings(**overrides: Any) -> Settings:
    """Read settings; on bad values raise SettingsError with one line per bad setting."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            message = str(error.get("msg", "invalid value"))
            message = message.removeprefix("Value error, ")
            lines.append(f"{_setting_name(error.get('loc', ()))}: {message}")
        raise SettingsError("\n".join(lines)) from None
