"""The soak's bad messages, without a broker: each is refused by the codec (or, for a conflict,
by the embedded runtime) with the reason the soak expects of its kind."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from schemas.codec import DecodeError, decode_event
from service.runtime.embedded import EmbeddedRuntime
from service.runtime.kafka_io import dead_letter_for
from service.tools.soak import BAD_KINDS, RIGHT_REASON, bad_message


@pytest.mark.parametrize("kind", [k for k in BAD_KINDS if k != "conflict"])
@pytest.mark.parametrize("n", [0, 1])
def test_each_bad_message_gets_the_reason_of_its_kind(kind: str, n: int) -> None:
    _, value = bad_message(kind, n, None)
    with pytest.raises(DecodeError) as caught:
        decode_event(value)
    letter = dead_letter_for(value, caught.value.reason, field=caught.value.field)
    assert RIGHT_REASON[kind](letter), (kind, letter.reason)
    others = [k for k in BAD_KINDS if k != kind and RIGHT_REASON[k](letter)]
    assert not others, f"{kind}'s reason also reads as {others}: {letter.reason}"


def test_a_conflict_gets_the_conflict_reason(tmp_path: Path, seed: Any) -> None:
    _, value = bad_message("conflict", 0, seed)
    with EmbeddedRuntime(tmp_path) as runtime:
        runtime.ingest([seed])
        [letter] = runtime.ingest([decode_event(value)]).rejected
    assert RIGHT_REASON["conflict"](letter), letter.reason
