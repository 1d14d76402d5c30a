"""General OpenTelemetry attribute names spanwise uses beside the GenAI ones."""

from __future__ import annotations

from typing import Final

__all__ = ["ErrorAttributes", "ExceptionAttributes", "ServerAttributes"]


class ErrorAttributes:
    TYPE: Final = "error.type"


class ExceptionAttributes:
    EVENT_NAME: Final = "exception"
    TYPE: Final = "exception.type"
    MESSAGE: Final = "exception.message"
    STACKTRACE: Final = "exception.stacktrace"


class ServerAttributes:
    ADDRESS: Final = "server.address"
    PORT: Final = "server.port"
