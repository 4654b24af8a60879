"""Dead letters on Kafka for the command line: list ``bilateral.deadletter``, find one, redrive.

The dead-letter topic is append-only: redriving never removes or changes a dead letter, it sends
a (fixed) copy of the event to the inbound topic of its type (``bilateral.news`` or
``bilateral.statements``), where the extractor takes it like any other event (and ignores it if
its ``event_id`` was already extracted).

A dead letter is named by its ``dead_letter_id`` (or a unique prefix of 4+ characters), or by
where it sits on the dead-letter topic, ``P@OFFSET`` (partition and offset), which ``list`` prints
beside the id.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiokafka import AIOKafkaProducer

from schemas.alerts import DeadLetter
from schemas.codec import DecodeError, decode_dead_letter, decode_observation
from schemas.events import NewsArticle, OfficialStatement
from service.config import Settings
from service.runtime.kafka_io import (
    DEADLETTER,
    OBSERVATIONS,
    Publisher,
    connection_options,
    read_topics,
)

__all__ = [
    "KafkaDeadLetter",
    "find_dead_letter",
    "read_dead_letters",
    "redrive_event",
    "redrive_observation",
]


@dataclass(frozen=True)
class KafkaDeadLetter:
    """A dead letter and where it sits on the dead-letter topic."""

    letter: DeadLetter
    partition: int
    offset: int

    @property
    def ref(self) -> str:
        """``P@OFFSET`` on the dead-letter topic."""
        return f"{self.partition}@{self.offset}"


async def read_dead_letters(settings: Settings, timeout: float = 30.0) -> list[KafkaDeadLetter]:
    """Every dead letter on the topic now, by partition then offset (undecodable ones skipped).

    Raises aiokafka.errors.KafkaError when the broker cannot be reached, TimeoutError when
    reading takes longer than ``timeout`` seconds.
    """
    found: list[KafkaDeadLetter] = []
    for record in await read_topics(settings, [settings.topic(DEADLETTER)], timeout=timeout):
        try:
            letter = decode_dead_letter(record.value or b"")
        except DecodeError:
            continue
        found.append(KafkaDeadLetter(letter, record.partition, record.offset))
    return found


def find_dead_letter(letters: list[KafkaDeadLetter], ident: str) -> KafkaDeadLetter | None:
    """The one dead letter named by ``ident`` (id, unique id prefix of 4+, or ``P@OFFSET``)."""
    exact = [d for d in letters if ident in (d.letter.dead_letter_id, d.ref)]
    if exact:
        return exact[-1]
    if len(ident) < 4:
        return None
    prefixed = {
        d.letter.dead_letter_id: d for d in letters if d.letter.dead_letter_id.startswith(ident)
    }
    return next(iter(prefixed.values())) if len(prefixed) == 1 else None


async def redrive_observation(
    settings: Settings, raw: bytes, key: str | None
) -> tuple[str, int, int]:
    """Send a dead-lettered observation (e.g. one a projector failed on) back to the
    observations topic with its original key; await the ack. Raises DecodeError if ``raw`` is not
    an observation."""
    decode_observation(raw)
    producer = AIOKafkaProducer(acks="all", **connection_options(settings))
    await producer.start()
    try:
        meta = await producer.send_and_wait(
            settings.topic(OBSERVATIONS), raw, key=key.encode("utf-8") if key else None
        )
    finally:
        await producer.stop()
    return meta.topic, meta.partition, meta.offset


async def redrive_event(
    settings: Settings, event: NewsArticle | OfficialStatement
) -> tuple[str, int, int]:
    """Send ``event`` to its inbound topic and await the ack; ``(topic, partition, offset)``."""
    async with Publisher(settings) as publisher:
        return await publisher.send_event(event)
