"""General OpenTelemetry attribute names spanwise uses beside the GenAI ones."""

from __future__ import annotations

from typing import Final

__all__ = ["ErrorAttributes", "ExceptionAttributes", "ServerAttributes", "UserAttributes"]


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


class UserAttributes:
    """The general conventions' user attributes (the end user a request is made for)."""

    ID: Final = "user.id"
