"""Telling a bad record from a store in trouble, and describing either without content.

Imports no SQLAlchemy at import time (the writer imports it with spanwise).

A write can fail because of one record (a span name that is not a string, a number
out of range, text that is not valid Unicode: the database refuses it whatever we do)
or because of the store (locked, full, gone). The first kind is isolated and reported
per record; the second is retried and then raised. Descriptions never include span
content: no SQL parameters, no values, only what kind of error and which column.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from spanwise.model._records import SpanRecord

if TYPE_CHECKING:
    from sqlalchemy.exc import DBAPIError

__all__ = ["Reject", "check_record", "describe_error", "is_record_error", "is_transient"]

Reject = Callable[[SpanRecord, str], None]
"""Called with a record the store cannot take and a short reason (no span content)."""

_INT64 = (-(2**63), 2**63 - 1)
# Raised by the driver or our encoding for a value no retry can write.
_VALUE_ERRORS = (ValueError, TypeError, OverflowError, RecursionError, KeyError)


def is_transient(exc: DBAPIError) -> bool:
    """Locked, busy, or two writers racing on one trace's rows: worth retrying."""
    text = str(exc.orig).lower()
    return any(
        word in text
        for word in (
            "database is locked",
            "busy",
            "deadlock",
            "could not serialize",
            "duplicate key",
        )
    )


def is_record_error(exc: BaseException) -> bool:
    """Whether ``exc`` is a record's fault (no retry helps; the other records can go)."""
    # Imported here: the writer imports this module with spanwise, SQLAlchemy comes later.
    from sqlalchemy.exc import (
        DataError,
        DBAPIError,
        IntegrityError,
        InterfaceError,
        ProgrammingError,
    )

    if isinstance(exc, DBAPIError):
        if is_transient(exc):
            return False
        if isinstance(exc, IntegrityError | DataError):
            return True
        # "Error binding parameter" (sqlite3), "can't adapt type" (psycopg2).
        text = str(exc.orig).lower()
        return isinstance(exc, ProgrammingError | InterfaceError) and (
            "binding" in text or "adapt" in text
        )
    return isinstance(exc, _VALUE_ERRORS)


def describe_error(exc: BaseException) -> str:
    """``exc`` in a few words, safe to log: never a value, a parameter or a row."""
    orig: Any = getattr(exc, "orig", None)
    if orig is None:
        if isinstance(exc, UnicodeError):
            return f"{type(exc).__name__} (text that is not valid Unicode)"
        if isinstance(exc, OSError) or type(exc).__module__.startswith("spanwise."):
            # Paths and spanwise's own messages (a store's state, a record's broken rule).
            return f"{type(exc).__name__}: {_first_line(exc)}"
        return type(exc).__name__
    kind = type(orig).__name__
    if getattr(orig, "sqlite_errorname", None) is not None or type(orig).__module__ == "sqlite3":
        # SQLite's messages name the rule and the column, never the values.
        return f"{kind}: {_first_line(orig)}"
    # PostgreSQL messages may quote values: keep the SQLSTATE, column and constraint.
    diag = getattr(orig, "diag", None)
    code = getattr(orig, "pgcode", None) or getattr(orig, "sqlstate", None)
    parts = [f"SQLSTATE {code}"] if code else []
    for label in ("column_name", "constraint_name"):
        value = getattr(diag, label, None)
        if value:
            parts.append(f"{label.split('_')[0]} {value}")
    if not code:  # raised by the driver before the server saw it: a fixed text
        return f"{kind}: {_first_line(orig)}"
    return f"{kind} ({', '.join(parts)})"


def _first_line(exc: BaseException) -> str:
    text = str(exc)
    return text.splitlines()[0][:200] if text else "(no message)"


def _valid_text(value: object) -> bool:
    if type(value) is not str:
        return False
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _hexish(text: str) -> bool:
    return text.isascii() and text.isalnum()


def _valid_int(value: object) -> bool:
    return type(value) is int and _INT64[0] <= value <= _INT64[1]


def check_record(record: object) -> str | None:
    """Why ``record`` cannot be stored (a short reason without content), or None.

    Run on every record before a write (about a microsecond): SQLite stores a text end
    time or a float id without complaint, and such a row would break every later read
    of its trace; PostgreSQL would refuse it. Both now refuse it the same way, up front.
    """
    if type(record) is not dict:
        return f"not a span record ({type(record).__name__})"
    r: dict[str, Any] = record  # pyright: ignore[reportUnknownVariableType]
    try:
        trace_id, span_id, parent_id = r["trace_id"], r["span_id"], r["parent_id"]
        name, start, end, status = r["name"], r["start"], r["end"], r["status"]
        attributes, events, remote = r["attributes"], r["events"], r["remote_parent"]
    except KeyError as missing:
        return f"not a span record (no {missing.args[0]!s:.40})"
    if type(trace_id) is not str or len(trace_id) != 32 or not _hexish(trace_id):
        return "invalid trace id"
    if type(span_id) is not str or len(span_id) != 16 or not _hexish(span_id):
        return "invalid span id"
    if parent_id is not None and (type(parent_id) is not str or len(parent_id) != 16):
        return "invalid parent span id"
    if name is None:
        return "span name is missing (None)"
    if type(name) is not str:
        return f"span name is a {type(name).__name__}, not a string"
    if not _valid_text(name):
        return "span name is not valid Unicode text"
    if not _valid_int(start):
        return "start time is not a 64-bit integer"
    if end is not None and not _valid_int(end):
        return "end time is not a 64-bit integer"
    if not _valid_text(status):
        return "invalid status"
    if type(attributes) is not dict:
        return "attributes are not a mapping"
    if type(events) is not list:
        return "events are not a list"
    if type(remote) is not bool:
        return "remote_parent is not a boolean"
    return None
