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
    # Deprecated in the conventions, still set by the OTel SDK's record_exception().
    ESCAPED: Final = "exception.escaped"


class ServerAttributes:
    ADDRESS: Final = "server.address"
    PORT: Final = "server.port"
