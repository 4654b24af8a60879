"""Settings, read once from the environment at an entry point and passed down (never at import).

Every field can be set as ``BILATERAL_MONITOR_<NAME>`` (e.g. ``BILATERAL_MONITOR_BOOTSTRAP``).
Imports ``schemas`` only: every other room of the service may import this one.
"""

from __future__ import annotations

import urllib.parse
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from schemas.events import DEFAULT_MAX_BODY_CHARS

__all__ = ["MAX_BODY_CHARS_LIMIT", "Settings", "alertmanager_url"]

MAX_BODY_CHARS_LIMIT = 250_000
"""Largest ``max_body_chars``: 4 bytes a character (UTF-8's worst) plus the envelope stay under
the 1 MiB that Kafka's producers and topics accept by default."""


def alertmanager_url(value: str) -> str:
    """``value`` as Alertmanager's base URL (``http(s)://HOST[:PORT][/PATH]``, no trailing slash).
    Raises ValueError with what to give instead."""
    try:
        parts = urllib.parse.urlsplit(value.strip())
        valid = parts.scheme in ("http", "https") and bool(parts.hostname)
        parts.port  # noqa: B018 - raises ValueError for a port out of range or not a number
    except ValueError:
        valid = False
    if not valid or parts.query or parts.fragment:
        raise ValueError(
            f"{value!r} is not an Alertmanager URL; give http://HOST:PORT, "
            "e.g. http://127.0.0.1:9093"
        )
    return value.strip().rstrip("/")


class Settings(BaseSettings):
    """Configuration of both runtimes. Frozen: build once, pass down."""

    model_config = SettingsConfigDict(env_prefix="BILATERAL_MONITOR_", frozen=True, extra="ignore")

    data_dir: Path = Field(Path(".bilateral-monitor"), description="embedded log + SQLite store")
    max_body_chars: int = Field(
        DEFAULT_MAX_BODY_CHARS,
        gt=0,
        le=MAX_BODY_CHARS_LIMIT,
        description="limit of an event's body, in characters; at most 250,000, so that an event "
        "encoded at up to 4 bytes a character fits Kafka's default 1 MiB message limit",
    )

    # Kafka runtime
    bootstrap: str = Field(
        "127.0.0.1:19092", description="Kafka bootstrap servers, comma-separated"
    )
    topic_prefix: str = Field("", description="prefix of every topic name, e.g. 'staging.'")
    partitions: int = Field(4, ge=1, description="partition count of the topics created on start")
    replication_factor: int = Field(1, ge=1)
    app_id: str = Field("bilateral-monitor", description="Faust app id (consumer group)")
    web_port: int = Field(6066, ge=1, le=65535, description="worker HTTP port")
    web_host: str = "127.0.0.1"
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = Field(
        None,
        description="SASL password; kept as a SecretStr, so a repr, a log line or a dump of the "
        "settings shows '**********' (get_secret_value() only where a client is built)",
    )
    ssl_cafile: Path | None = None
    ssl_certfile: Path | None = None
    ssl_keyfile: Path | None = None
    store: str = Field("memory://", description="Faust table store (memory:// or rocksdb://)")
    live_clock_seconds: float = Field(
        0.0, ge=0.0, description="period of live ClockTicks while idle; 0 disables them"
    )
    session_timeout_seconds: float = Field(
        60.0,
        ge=6.0,
        description="consumer group session timeout: how long a crashed worker keeps its "
        "partitions before the group moves them (the broker's minimum is 6 s)",
    )
    live_clock_idle_seconds: float = Field(
        60.0, ge=0.0, description="inbound quiet time before a live tick may pass event time"
    )
    changelog_max_bytes: int = Field(
        16 * 1024 * 1024,
        ge=1024 * 1024,
        description="largest table record (a dyad's projection) a worker may write: the "
        "changelog topics' max.message.bytes and the producer's request limit",
    )
    recovery_stall_seconds: float = Field(
        60.0,
        ge=0.0,
        description="table recovery without progress for this long is restarted, and the worker "
        "process re-executed after twice as long; 0 disables the watchdog",
    )
    stop_timeout_seconds: float = Field(
        30.0,
        ge=0.0,
        description="a worker still stopping this long after SIGTERM or SIGINT logs its thread "
        "stacks and exits with status 70; 0 waits for good",
    )
    log_json: bool = Field(False, description="log JSON lines instead of text")
    alertmanager_url: str | None = Field(
        None,
        description="a worker keeps this Alertmanager (http://HOST:PORT) current with the "
        "commitments that need attention, from the alert stream",
    )

    @field_validator("alertmanager_url")
    @classmethod
    def _alertmanager(cls, value: str | None) -> str | None:
        """An http(s)://HOST[:PORT] URL (empty means none)."""
        if value is None or not value.strip():
            return None
        return alertmanager_url(value)

    @field_validator("bootstrap")
    @classmethod
    def _host_port_list(cls, value: str) -> str:
        """Each comma-separated server is HOST:PORT with a port in 1..65535."""
        for server in value.split(","):
            host, sep, port = server.strip().rpartition(":")
            if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
                raise ValueError(
                    f"{server.strip()!r} is not HOST:PORT (servers are comma-separated, "
                    "e.g. 127.0.0.1:19092)"
                )
        return value

    @model_validator(mode="after")
    def _security_complete(self) -> Settings:
        """SASL needs a username and a password; TLS files named must exist."""
        if self.security_protocol.startswith("SASL") and not (
            self.sasl_username and self.sasl_password
        ):
            raise ValueError(
                f"security protocol {self.security_protocol} needs BILATERAL_MONITOR_SASL_USERNAME "
                "and BILATERAL_MONITOR_SASL_PASSWORD"
            )
        for name in ("ssl_cafile", "ssl_certfile", "ssl_keyfile"):
            path = getattr(self, name)
            if path is not None and not Path(path).is_file():
                raise ValueError(f"BILATERAL_MONITOR_{name.upper()}: no such file: {path}")
        return self

    def topic(self, name: str) -> str:
        """Full name of topic ``name`` (e.g. 'bilateral.news') with the configured prefix."""
        return f"{self.topic_prefix}{name}"
