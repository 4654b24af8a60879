"""One line for an unexpected error, as the command line prints it.

Imports: :mod:`service.config` and (when a secured broker refused a connection)
:mod:`service.runtime.kafka_io`.
"""

from __future__ import annotations

import asyncio

from service.config import Settings

__all__ = ["describe_error"]


def describe_error(exc: BaseException, settings: Settings | None = None) -> str:
    """One line for an unexpected error; Kafka connection failures say how to get a broker, or,
    with ``settings`` using SSL or SASL, which credentials the broker refused."""
    from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError

    if isinstance(exc, KafkaConnectionError | KafkaTimeoutError):
        if settings is not None and settings.security_protocol != "PLAINTEXT":
            from service.runtime.kafka_io import authentication_failure

            refused = asyncio.run(authentication_failure(settings))
            if refused is not None:
                return refused
        return (
            f"cannot reach Kafka ({exc}): is a broker running? `scripts/kafka start` runs one "
            "on 127.0.0.1:19092; point --bootstrap or BILATERAL_MONITOR_BOOTSTRAP at yours"
        )
    text = str(exc)
    name = type(exc).__name__
    return text if text.startswith(name) else f"{name}: {text}"
