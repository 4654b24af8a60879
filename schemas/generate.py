"""Generate the committed contract files from the models: ``python -m schemas.generate``.

Writes ``schemas/jsonschema/<Model>.json`` (JSON Schema 2020-12, from pydantic) and
``schemas/asyncapi.yaml`` (AsyncAPI 3.0 document of the topics). ``--check`` exits 1 and names the
files that differ instead of writing (the test suite runs the same comparison).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel, TypeAdapter

from schemas.alerts import Alert, DeadLetter
from schemas.events import InboundEvent, NewsArticle, OfficialStatement
from schemas.observations import (
    ClockTick,
    CommitmentObservation,
    EngagementObservation,
    Observation,
)
from schemas.state import RelationshipState

HERE = Path(__file__).resolve().parent

MODELS: dict[str, Any] = {
    "NewsArticle": NewsArticle,
    "OfficialStatement": OfficialStatement,
    "InboundEvent": InboundEvent,
    "CommitmentObservation": CommitmentObservation,
    "EngagementObservation": EngagementObservation,
    "ClockTick": ClockTick,
    "Observation": Observation,
    "Alert": Alert,
    "DeadLetter": DeadLetter,
    "RelationshipState": RelationshipState,
}

TOPICS = [
    ("bilateral.news", "event_id", "InboundEvent", "publishers", "News articles (NewsArticle)."),
    (
        "bilateral.statements",
        "event_id",
        "InboundEvent",
        "publishers",
        "Official statements (OfficialStatement).",
    ),
    (
        "bilateral.observations",
        "dyad",
        "Observation",
        "extractor agent",
        "Commitment and engagement observations, and ClockTicks (the event-time watermark).",
    ),
    ("bilateral.alerts", "dyad", "Alert", "projector agent", "Alerts for subscribers."),
    (
        "bilateral.deadletter",
        "original key",
        "DeadLetter",
        "any agent that rejects input",
        "Rejected input with the reason and the original bytes.",
    ),
]


def json_schema(model: Any) -> dict[str, Any]:
    """JSON Schema of a model or annotated union (serialization mode: what is on the wire)."""
    if isinstance(model, type) and issubclass(model, BaseModel):
        schema = model.model_json_schema(mode="serialization")
    else:
        schema = TypeAdapter(model).json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


def asyncapi() -> str:
    """The AsyncAPI 3.0 document of the topics, as YAML-compatible JSON text (stable order)."""
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for topic, key, payload, writer, description in TOPICS:
        cid = topic.replace(".", "_")
        channels[cid] = {
            "address": topic,
            "description": f"{description} Key: {key}. Written by {writer}. Values are UTF-8 JSON.",
            "messages": {payload: {"$ref": f"#/components/messages/{payload}"}},
        }
        operations[f"send_{cid}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{cid}"},
            "summary": f"{writer} write {topic}",
        }
    messages = {
        name: {
            "name": name,
            "contentType": "application/json",
            "payload": {"$ref": f"./jsonschema/{name}.json"},
        }
        for name in sorted({t[2] for t in TOPICS})
    }
    doc = {
        "asyncapi": "3.0.0",
        "info": {
            "title": "bilateral-monitor topics",
            "version": "1",
            "description": "Topic names take an optional prefix (BILATERAL_MONITOR_TOPIC_PREFIX).",
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages},
    }
    # JSON is valid YAML 1.2; keeping it JSON avoids a YAML dependency.
    return json.dumps(doc, indent=2) + "\n"


def rendered() -> dict[Path, str]:
    """Every generated file and its expected text."""
    files = {
        HERE / "jsonschema" / f"{name}.json": json.dumps(json_schema(model), indent=2) + "\n"
        for name, model in MODELS.items()
    }
    files[HERE / "asyncapi.yaml"] = asyncapi()
    return files


def main(argv: list[str]) -> int:
    """Write (or with ``--check`` compare) the generated files; return the exit code."""
    stale = []
    for path, text in rendered().items():
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        stale.append(path)
        if "--check" not in argv:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    if "--check" in argv and stale:
        print("stale generated files:", *map(str, stale), sep="\n  ")
        return 1
    print(f"{len(stale)} file(s) {'stale' if '--check' in argv else 'written'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
