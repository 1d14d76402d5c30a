"""The small value types of the trace model: trace state, span status, span events."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

__all__ = ["SpanEvent", "SpanStatus", "SpanStatusCode", "TraceState"]


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
