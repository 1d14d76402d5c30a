"""OTLP attribute values (``AnyValue``) and numbers, read for the store.

A plain value (string, int, double, bool, bytes, an array of those) stays itself. A
nested one (a key-value list, an array holding arrays or lists) is not an OTel span
attribute type: it is converted once to plain data, at most ``MAX_VALUE_DEPTH``
levels deep, and kept as one JSON string of at most the content limit
(``SPANWISE_MAX_CONTENT_BYTES``), cut with spanwise's truncation marker like every
other bounded value. Converting level by level instead (a JSON string inside a JSON
string) doubles the escapes at every level: a 400-byte request became gigabytes.
"""

from __future__ import annotations

import base64
import math
import re
from typing import Any, cast

from opentelemetry.proto.common.v1.common_pb2 import AnyValue

from spanwise.common._content import content_settings
from spanwise.common._serialize import TRUNCATION_MARKER, dumps_bounded

__all__ = [
    "INT64_MAX",
    "MAX_VALUE_DEPTH",
    "TOO_DEEP",
    "json_int",
    "json_value",
    "pb_value",
    "repair_tree",
    "storable_name",
]

INT64_MAX = 2**63 - 1  # the store's BIGINT / SQLite INTEGER columns
_INT64_MIN = -(2**63)
MAX_VALUE_DEPTH = 32
TOO_DEEP = f"{TRUNCATION_MARKER}: nested deeper than {MAX_VALUE_DEPTH} levels]"
_SURROGATE = re.compile("[\ud800-\udfff]")
_MAX_DIGITS = 20  # len("-9223372036854775808"); longer is out of range anyway


def _bounded(value: object) -> str:
    return dumps_bounded(value, content_settings().max_bytes)


# -- protobuf ----------------------------------------------------------------------------


def _pb_plain(value: AnyValue, depth: int) -> Any:
    kind = value.WhichOneof("value")
    if kind == "string_value":
        return value.string_value
    if kind == "int_value":
        return value.int_value
    if kind == "double_value":
        return value.double_value
    if kind == "bool_value":
        return value.bool_value
    if kind == "bytes_value":
        return base64.b64encode(value.bytes_value).decode("ascii")
    if kind == "array_value":
        if depth >= MAX_VALUE_DEPTH:
            return TOO_DEEP
        return [_pb_plain(v, depth + 1) for v in value.array_value.values]
    if kind == "kvlist_value":
        if depth >= MAX_VALUE_DEPTH:
            return TOO_DEEP
        return {kv.key: _pb_plain(kv.value, depth + 1) for kv in value.kvlist_value.values}
    return None


_NESTED = frozenset({"array_value", "kvlist_value"})


def pb_value(value: AnyValue) -> Any:
    """An attribute value from protobuf: plain values as themselves, nested ones as JSON."""
    kind = value.WhichOneof("value")
    if kind == "string_value":  # the common case first
        return value.string_value
    if kind == "kvlist_value":
        return _bounded(_pb_plain(value, 0))
    if kind == "array_value":
        items = value.array_value.values
        if _NESTED.isdisjoint([v.WhichOneof("value") for v in items]):
            return [_pb_plain(v, 1) for v in items]
        return _bounded(_pb_plain(value, 0))
    return _pb_plain(value, 0)


# -- JSON --------------------------------------------------------------------------------


def json_int(value: Any) -> int | None:
    """An integer as OTLP/JSON spells it (a number, or a decimal string for 64-bit
    values), or None: bools, fractions, NaN, infinities and other text are not."""
    kind = type(cast(object, value))
    if kind is int:
        return cast(int, value)
    if kind is str:
        text = cast(str, value).strip()
        digits = text[1:] if text[:1] in ("-", "+") else text
        # ASCII digits only: int() would also take "1_000" and other scripts' digits.
        if 0 < len(digits) <= _MAX_DIGITS and digits.isascii() and digits.isdigit():
            return int(text)
        return None
    if kind is float:
        number = cast(float, value)
        # 1e30 is integral too, and out of range: the caller checks the range.
        return int(number) if number.is_integer() else None
    return None


def _json_double(value: Any) -> float | None:
    kind = type(cast(object, value))
    if kind is float:
        return cast(float, value)
    if kind is int:
        number = cast(int, value)
        if abs(number) < 2**1023:
            return float(number)
        return math.inf if number > 0 else -math.inf  # float() would raise OverflowError
    if kind is str and len(cast(str, value)) <= 64:
        try:  # "NaN", "Infinity", "-Infinity" and decimal text, as protojson writes them
            return float(cast(str, value))
        except ValueError:
            return None
    return None


def _scalar_text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)):  # bool too
        return str(value).lower() if isinstance(value, bool) else repr(value)
    return None


def _json_plain(value: Any, depth: int) -> Any:
    if not isinstance(value, dict):
        return None
    v = cast("dict[str, Any]", value)
    if "stringValue" in v:
        return _scalar_text(v["stringValue"])
    if "intValue" in v:
        raw = v["intValue"]
        number = json_int(raw)
        if number is not None and _INT64_MIN <= number <= INT64_MAX:
            return number
        # Not an int64 (1e30, "12.5"): the sender's text is kept rather than dropped.
        return _scalar_text(raw)
    if "doubleValue" in v:
        return _json_double(v["doubleValue"])
    if "boolValue" in v:
        raw = v["boolValue"]
        return raw if isinstance(raw, bool) else None
    if "bytesValue" in v:
        return _scalar_text(v["bytesValue"])
    if "arrayValue" in v or "kvlistValue" in v:
        if depth >= MAX_VALUE_DEPTH:
            return TOO_DEEP
        if "arrayValue" in v:
            return [_json_plain(x, depth + 1) for x in _values(v["arrayValue"])]
        pairs = [
            cast("dict[str, Any]", p) for p in _values(v["kvlistValue"]) if isinstance(p, dict)
        ]
        return {
            _scalar_text(p.get("key")) or "": _json_plain(p.get("value"), depth + 1) for p in pairs
        }
    return None


def _values(container: Any) -> list[Any]:
    values = (
        cast("dict[str, Any]", container).get("values") if isinstance(container, dict) else None
    )
    return cast("list[Any]", values) if isinstance(values, list) else []


def _nested(value: Any) -> bool:
    return isinstance(value, dict) and ("arrayValue" in value or "kvlistValue" in value)


def json_value(value: Any) -> Any:
    """An attribute value from OTLP/JSON: plain values as themselves, nested ones as
    JSON; a value of the wrong type is None (or, for a number, its text)."""
    if not _nested(value):
        return _json_plain(value, 0)
    v = cast("dict[str, Any]", value)
    if "arrayValue" in v:
        items = _values(v["arrayValue"])
        if not any(map(_nested, items)):
            return [_json_plain(x, 1) for x in items]
    return _bounded(_json_plain(value, 0))


# -- text --------------------------------------------------------------------------------


def repair_tree(data: Any) -> Any:
    """``data`` (parsed JSON) with every lone surrogate in its strings, keys included,
    replaced by U+FFFD. Iterative: the tree may be as deep as the JSON parser allows."""

    def fix(text: str) -> str:
        return _SURROGATE.sub("\ufffd", text)

    if isinstance(data, str):
        return fix(data)
    stack: list[Any] = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            items = cast("list[Any]", node)
            for i, item in enumerate(items):
                if isinstance(item, str):
                    items[i] = fix(item)
                elif isinstance(item, (list, dict)):
                    stack.append(item)
        elif isinstance(node, dict):
            mapping = cast("dict[str, Any]", node)
            pairs = list(mapping.items())
            mapping.clear()
            for key, item in pairs:
                if isinstance(item, (list, dict)):
                    stack.append(item)
                mapping[fix(key)] = fix(item) if isinstance(item, str) else item
    return data


def storable_name(name: str) -> str:
    """A span name every store can hold: PostgreSQL text refuses NUL characters."""
    return name.replace("\x00", "\ufffd") if "\x00" in name else name
