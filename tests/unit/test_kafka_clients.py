"""Client misuse fails at once with a message, instead of hanging (no broker needed)."""

from __future__ import annotations

import asyncio

import pytest

from service.config import Settings
from service.runtime.kafka_io import AlertSubscriber, Publisher


def test_publisher_outside_its_block_raises(tmp_path, seed) -> None:
    settings = Settings(bootstrap="127.0.0.1:9", data_dir=tmp_path)

    async def send() -> None:
        await asyncio.wait_for(Publisher(settings).send_event(seed), 10)

    with pytest.raises(RuntimeError, match="async with Publisher"):
        asyncio.run(send())


def test_a_stopped_subscriber_cannot_be_iterated(tmp_path) -> None:
    settings = Settings(bootstrap="127.0.0.1:9", data_dir=tmp_path)

    async def reuse() -> None:
        subscriber = AlertSubscriber(settings, follow=False)
        await subscriber.stop()
        async for _ in subscriber:
            pass

    with pytest.raises(RuntimeError, match="was stopped; create a new one"):
        asyncio.run(asyncio.wait_for(reuse(), 10))


def test_subscriber_kind_takes_the_short_form_and_refuses_unknown_kinds(tmp_path) -> None:
    settings = Settings(bootstrap="127.0.0.1:9", data_dir=tmp_path)

    async def make(kind: str) -> str | None:
        subscriber = AlertSubscriber(settings, kind=kind)
        await subscriber.stop()
        return subscriber.kind

    assert asyncio.run(make("reversed")) == "commitment.reversed"
    assert asyncio.run(make("commitment.reversed")) == "commitment.reversed"
    with pytest.raises(ValueError, match=r"kind 'reverse': one of commitment\.new"):
        asyncio.run(make("reverse"))


def test_publisher_refuses_anything_but_an_event(tmp_path, seed) -> None:
    settings = Settings(bootstrap="127.0.0.1:9", data_dir=tmp_path)

    async def send() -> None:
        await asyncio.wait_for(Publisher(settings).send_event(seed.model_dump(mode="json")), 10)

    with pytest.raises(TypeError, match=r"not dict; validate a dict with schemas\.codec"):
        asyncio.run(send())


def test_subscriber_dyad_is_normalised_and_a_bad_one_refused(tmp_path) -> None:
    settings = Settings(bootstrap="127.0.0.1:9", data_dir=tmp_path)

    async def make(**filters: str) -> AlertSubscriber:
        subscriber = AlertSubscriber(settings, **filters)
        await subscriber.stop()
        return subscriber

    assert asyncio.run(make(dyad="in-ca")).dyad == "CA-IN"
    for bad, why in [("", "must be two ISO codes"), ("XX-YY", "unknown country code 'XX'")]:
        with pytest.raises(ValueError, match=why):
            asyncio.run(make(dyad=bad))
    with pytest.raises(ValueError, match="kind '': one of"):
        asyncio.run(make(kind=""))
