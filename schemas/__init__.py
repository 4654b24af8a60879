"""The wire contract of bilateral-monitor: pydantic v2 models, importable without the service.

Generated JSON Schema files live in ``schemas/jsonschema/`` and the AsyncAPI document of the
topics in ``schemas/asyncapi.yaml`` (``python -m schemas.generate`` rewrites both).
"""

from schemas.alerts import Alert, DeadLetter
from schemas.codec import DecodeError, decode_event, encode
from schemas.common import (
    AlertKind,
    CommitmentStatus,
    Direction,
    Due,
    DueKind,
    Severity,
    Topic,
    make_dyad,
)
from schemas.events import (
    CURRENT_SCHEMA_VERSION,
    NewsArticle,
    OfficialStatement,
    Source,
    SourceKind,
    StatementKind,
)
from schemas.observations import (
    Attribution,
    ClockTick,
    CommitmentKind,
    CommitmentObservation,
    EngagementObservation,
    Evidence,
)
from schemas.state import Commitment, Engagement, RelationshipState, StatusChange

__all__ = [
    "CURRENT_SCHEMA_VERSION",
    "Alert",
    "AlertKind",
    "Attribution",
    "ClockTick",
    "Commitment",
    "CommitmentKind",
    "CommitmentObservation",
    "CommitmentStatus",
    "DeadLetter",
    "DecodeError",
    "Direction",
    "Due",
    "DueKind",
    "Engagement",
    "EngagementObservation",
    "Evidence",
    "NewsArticle",
    "OfficialStatement",
    "RelationshipState",
    "Severity",
    "Source",
    "SourceKind",
    "StatementKind",
    "StatusChange",
    "Topic",
    "decode_event",
    "encode",
    "make_dyad",
]
