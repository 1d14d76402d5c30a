"""The small value types of the trace model: trace state, span status, span events,
and what OTLP says about a span besides (links, its resource, its instrumentation scope)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

__all__ = [
    "SpanEvent",
    "SpanLink",
    "SpanResource",
    "SpanScope",
    "SpanStatus",
    "SpanStatusCode",
    "TraceState",
]


class TraceState(str, Enum):
    OK = "OK"
    ERROR = "ERROR"
    IN_PROGRESS = "IN_PROGRESS"

    def __str__(self) -> str:
        return self.value


class SpanStatusCode(str, Enum):
    UNSET = "UNSET"
    OK = "OK"
    ERROR = "ERROR"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class SpanStatus:
    status_code: SpanStatusCode = SpanStatusCode.UNSET
    description: str = ""


@dataclass(frozen=True, slots=True)
class SpanEvent:
    name: str
    timestamp: int  # ns since the epoch
    attributes: dict[str, Any] = field(default_factory=dict[str, Any])
    dropped_attributes_count: int = 0


@dataclass(frozen=True, slots=True)
class SpanLink:
    """A link to another span (OTLP ``Span.Link``); ids in hex."""

    trace_id: str  # 32 hex
    span_id: str  # 16 hex
    trace_state: str = ""
    attributes: dict[str, Any] = field(default_factory=dict[str, Any])
    dropped_attributes_count: int = 0
    flags: int = 0


@dataclass(frozen=True, slots=True)
class SpanResource:
    """The OTel resource a span came from: ``service.name``, host, process, ..."""

    attributes: dict[str, Any] = field(default_factory=dict[str, Any])
    dropped_attributes_count: int = 0
    schema_url: str = ""


@dataclass(frozen=True, slots=True)
class SpanScope:
    """The instrumentation scope (the tracer's name and version) that made a span."""

    name: str = ""
    version: str = ""
    attributes: dict[str, Any] = field(default_factory=dict[str, Any])
    dropped_attributes_count: int = 0
    schema_url: str = ""
