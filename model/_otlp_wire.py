"""The protobuf wire format, walked by hand down to each span of an OTLP request.

protobuf parses a message whole: one span with a string that is not UTF-8 (or nested
too deep) fails the entire ``ExportTraceServiceRequest``. When that happens, the
decoder walks the request's envelope here instead (resource spans -> scope spans ->
spans) and parses each span on its own, so only the broken ones are rejected. A
payload whose envelope is not wire format at all raises ``WireError``.
"""

from __future__ import annotations

from collections.abc import Iterator

__all__ = ["WireError", "describe_span", "span_bytes"]

# Field numbers (opentelemetry/proto/collector/trace/v1 and trace/v1).
_REQUEST_RESOURCE_SPANS = 1  # ExportTraceServiceRequest.resource_spans
_RESOURCE_SCOPE_SPANS = 2  # ResourceSpans.scope_spans
_SCOPE_SPANS = 2  # ScopeSpans.spans
_SPAN_ID = 2  # Span.span_id
_SPAN_NAME = 5  # Span.name

_VARINT, _I64, _LEN, _I32 = 0, 1, 2, 5


class WireError(ValueError):
    """Bytes that are not protobuf wire format (truncated, or not protobuf at all)."""


def _varint(buf: memoryview, pos: int, end: int) -> tuple[int, int]:
    result = 0
    shift = 0
    while pos < end:
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise WireError("a varint longer than 10 bytes")
    raise WireError("truncated (in a varint)")


def _fields(buf: memoryview, pos: int, end: int) -> Iterator[tuple[int, int, int, int]]:
    """(field number, wire type, start, end) of each field of the message in [pos, end);
    for a varint, start is its value."""
    while pos < end:
        key, pos = _varint(buf, pos, end)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise WireError("field number 0")
        if wire == _VARINT:
            value, pos = _varint(buf, pos, end)
            yield number, wire, value, pos
            continue
        if wire == _LEN:
            size, pos = _varint(buf, pos, end)
            stop = pos + size
        elif wire == _I64:
            stop = pos + 8
        elif wire == _I32:
            stop = pos + 4
        else:  # groups (3, 4) are not used by OTLP; 6, 7 do not exist
            raise WireError(f"wire type {wire}")
        if stop > end:
            raise WireError("truncated (a field runs past its message)")
        yield number, wire, pos, stop
        pos = stop


def _children(buf: memoryview, pos: int, end: int, number: int) -> Iterator[tuple[int, int]]:
    for field, wire, start, stop in _fields(buf, pos, end):
        if field == number and wire == _LEN:
            yield start, stop
        # A known field with another wire type is an unknown field to protobuf: skipped.


def span_bytes(payload: bytes) -> Iterator[memoryview]:
    """Each span's encoded bytes, in request order. Raises ``WireError`` on a broken
    envelope (the spans before it are yielded first: the caller decides)."""
    buf = memoryview(payload)
    for rs_start, rs_stop in _children(buf, 0, len(buf), _REQUEST_RESOURCE_SPANS):
        for ss_start, ss_stop in _children(buf, rs_start, rs_stop, _RESOURCE_SCOPE_SPANS):
            for start, stop in _children(buf, ss_start, ss_stop, _SCOPE_SPANS):
                yield buf[start:stop]


def describe_span(span: memoryview) -> tuple[str, str]:
    """(a label for the span, what is wrong with it) for a span protobuf refused: its id
    and name as far as they can be read, and which of the two is not UTF-8."""
    span_id = ""
    name = ""
    why = "a malformed field, a string that is not UTF-8, or values nested too deep"
    try:
        for number, wire, start, stop in _fields(span, 0, len(span)):
            if wire != _LEN:
                continue
            if number == _SPAN_ID:
                span_id = bytes(span[start:stop]).hex()[:16]
            elif number == _SPAN_NAME:
                raw = bytes(span[start : min(stop, start + 200)])
                name = raw.decode("utf-8", "replace")
                try:
                    bytes(span[start:stop]).decode("utf-8")
                except UnicodeDecodeError:
                    why = "its name is not valid UTF-8"
    except WireError as exc:
        why = f"not wire format ({exc})"
    label = " ".join(part for part in (span_id, repr(name) if name else "") if part)
    return label or "(unreadable)", why
