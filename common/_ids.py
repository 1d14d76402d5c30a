"""Trace and span ids: MLflow's ``tr-<32 hex>`` trace ids and 16-hex span ids.

One place for the format, the parse and its error message; OTel's integer ids on one
side, the strings users and stores see on the other.
"""

from __future__ import annotations

__all__ = [
    "TRACE_ID_PREFIX",
    "format_span_id",
    "format_trace_id",
    "hex_span_id",
    "hex_trace_id",
    "parse_span_id",
    "parse_trace_id",
]

TRACE_ID_PREFIX = "tr-"


def hex_trace_id(trace_id: int) -> str:
    """32 hex digits (OTLP's and the store records' form)."""
    return f"{trace_id:032x}"


def hex_span_id(span_id: int) -> str:
    """16 hex digits."""
    return f"{span_id:016x}"


def format_trace_id(trace_id: int) -> str:
    """MLflow-style trace id: ``tr-`` and 32 hex digits."""
    return f"{TRACE_ID_PREFIX}{trace_id:032x}"


format_span_id = hex_span_id


def parse_trace_id(trace_id: object) -> int:
    """``tr-<32 hex>`` or ``<32 hex>`` to the OTel integer id; ValueError otherwise."""
    text = trace_id.removeprefix(TRACE_ID_PREFIX) if isinstance(trace_id, str) else ""
    try:
        if len(text) != 32:
            raise ValueError
        value = int(text, 16)
    except ValueError:
        raise ValueError(
            f"Invalid trace_id {trace_id!r}: expected 'tr-' followed by 32 hex digits"
        ) from None
    return value


def parse_span_id(span_id: object) -> int:
    """16 hex digits to the OTel integer id; ValueError otherwise."""
    try:
        if not isinstance(span_id, str) or len(span_id) != 16:
            raise ValueError
        return int(span_id, 16)
    except ValueError:
        raise ValueError(f"Invalid span_id {span_id!r}: expected 16 hex digits") from None
