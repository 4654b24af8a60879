"""How the runtime's plain Kafka clients connect: TLS context, SASL and security options.

:func:`connection_options` turns :class:`Settings` into aiokafka keyword arguments;
:func:`authentication_failure` says in one line why a broker refused us. May import
``service.config`` and aiokafka; nothing of Faust.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from typing import Any

from aiokafka.errors import KafkaError
from aiokafka.helpers import create_ssl_context

from service.config import Settings

log = logging.getLogger(__name__)


def ssl_context(settings: Settings) -> ssl.SSLContext | None:
    """An SSL context for SSL / SASL_SSL protocols (CA, client cert and key from settings)."""
    if settings.security_protocol not in ("SSL", "SASL_SSL"):
        return None
    return create_ssl_context(
        cafile=str(settings.ssl_cafile) if settings.ssl_cafile else None,
        certfile=str(settings.ssl_certfile) if settings.ssl_certfile else None,
        keyfile=str(settings.ssl_keyfile) if settings.ssl_keyfile else None,
    )


def connection_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments shared by every aiokafka client: bootstrap, protocol, SASL, SSL."""
    opts: dict[str, Any] = {
        "bootstrap_servers": settings.bootstrap.split(","),
        "security_protocol": settings.security_protocol,
    }
    context = ssl_context(settings)
    if context is not None:
        opts["ssl_context"] = context
    if settings.security_protocol.startswith("SASL"):
        opts["sasl_mechanism"] = settings.sasl_mechanism or "PLAIN"
        opts["sasl_plain_username"] = settings.sasl_username
        opts["sasl_plain_password"] = (
            settings.sasl_password.get_secret_value() if settings.sasl_password else None
        )
    return opts


async def authentication_failure(settings: Settings, timeout: float = 10.0) -> str | None:
    """Why the cluster refuses these credentials, or None when it does not (or is not reached).

    aiokafka logs an authentication failure and raises only "Unable to bootstrap"; this opens
    one connection to each bootstrap server with the settings' protocol, SASL and SSL options
    and returns the first refusal as one line naming the server, the user (never the password),
    the mechanism and what to check. Only meaningful for SSL and SASL protocols.
    """
    from aiokafka.conn import create_conn

    if settings.security_protocol == "PLAINTEXT":
        return None
    opts = connection_options(settings)
    opts.pop("bootstrap_servers")
    for server in settings.bootstrap.split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            conn = await asyncio.wait_for(create_conn(host, int(port), **opts), timeout)
        except (KafkaError, OSError, TimeoutError) as exc:
            text = str(exc) or type(exc).__name__
            if "Authentication" in type(exc).__name__ or "uthenticat" in text:
                who = (
                    f" as user {settings.sasl_username!r} with {settings.sasl_mechanism or 'PLAIN'}"
                    if settings.security_protocol.startswith("SASL")
                    else ""
                )
                return (
                    f"{host}:{port} refused the credentials{who} ({settings.security_protocol}): "
                    f"{text}; check BILATERAL_MONITOR_SASL_USERNAME, _SASL_PASSWORD and "
                    "_SASL_MECHANISM (or the SSL files)"
                )
            if isinstance(exc, ssl.SSLError):
                return (
                    f"{host}:{port}: TLS handshake failed ({settings.security_protocol}): {text}; "
                    "check BILATERAL_MONITOR_SSL_CAFILE (the CA that signed the broker's "
                    "certificate) and the broker's address"
                )
            continue
        conn.close()
    return None
