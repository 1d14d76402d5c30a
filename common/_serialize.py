# This module inspects arbitrary user objects by duck typing (model_dump, dtype, item...),
# which strict typing cannot follow: unknown member/argument types are expected here.
# pyright: reportUnknownArgumentType=false, reportUnknownVariableType=false
# pyright: reportUnknownMemberType=false, reportAttributeAccessIssue=false
"""Turn any Python value into a bounded JSON string, never raising.

Inputs and outputs of traced functions can be anything: pydantic models, dataclasses,
sets, numpy scalars, objects with no JSON form, cycles, or megabytes of text. This
module walks the value once with a byte budget, so that the cost on the caller's
thread stays proportional to the budget, not to the payload:

* values with no JSON form become a readable ``repr`` (never an error);
* a string longer than the budget is cut and ends with ``...[truncated N chars]``;
* a container that does not fit ends with a marker item (``"...[N more items]"``, or
  the key ``"..."`` in objects), so the result is always valid JSON.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import enum
import json
import math
from collections.abc import Mapping
from typing import Any, cast

from ._json import make_c_encoder

__all__ = ["TRUNCATION_MARKER", "dumps_bounded", "dumps_wire", "to_jsonable", "within"]

TRUNCATION_MARKER = "...[truncated"
_MAX_DEPTH = 48
# Per-value overhead in the estimate: quotes, separators, small scalars.
_SCALAR_COST = 8
_CHUNK = 256
_NUMBERS: frozenset[type] = frozenset({int, float})
_STRINGS: frozenset[type] = frozenset({str})
_FLOAT_COST = 24  # len(repr(-1.2345678901234567e-100)) + a comma
_json_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode


def _not_plain(value: object) -> object:
    raise TypeError(type(value).__name__)


# json's C encoder called directly: ``JSONEncoder.encode`` builds a new one per call,
# which costs more than encoding a few messages. Plain JSON only: anything else raises
# TypeError, NaN ValueError, a cycle RecursionError.
_C_ENCODER = make_c_encoder(_not_plain, allow_nan=False)


def _encode(value: object) -> str:
    """Compact JSON of plain values; raises TypeError, ValueError or RecursionError."""
    if _C_ENCODER is None:
        return _json_encode(value)
    return "".join(_C_ENCODER(value, 0))


class _Budget:
    __slots__ = ("left",)

    def __init__(self, left: int) -> None:
        self.left = left


def _safe_repr(value: object) -> str:
    try:
        return repr(value)
    except Exception:
        return f"<unrepresentable {type(value).__name__}>"


def _cut(text: str, budget: _Budget) -> str:
    """``text`` if it fits the budget, else its head and a marker."""
    size = len(text) + 2
    if size <= budget.left:
        budget.left -= size
        return text
    keep = max(budget.left - 40, 0)
    budget.left = 0
    return f"{text[:keep]}{TRUNCATION_MARKER} {len(text) - keep} chars]"


def _convert(value: object) -> object:
    """A JSON-friendly stand-in for a value with no JSON form (one level deep)."""
    v: Any = value  # duck-typed from here on
    model_dump = getattr(v, "model_dump", None)  # pydantic v2
    if callable(model_dump) and not isinstance(v, type):
        try:
            return model_dump(mode="json")
        except Exception:
            return _safe_repr(v)
    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        return {f.name: getattr(v, f.name, None) for f in dataclasses.fields(v)}
    if isinstance(v, enum.Enum):
        return v.value
    if isinstance(v, (_dt.datetime, _dt.date, _dt.time)):
        return v.isoformat()
    if isinstance(v, (set, frozenset)):
        items: list[Any] = list(cast("set[Any]", v))
        try:
            return sorted(items)
        except TypeError:
            return items
    if isinstance(v, (bytes, bytearray, memoryview)):
        return f"<{len(cast('bytes', v))} bytes>"
    # numpy and friends: 0-d arrays and scalars have .item(), small arrays .tolist().
    if hasattr(v, "dtype"):
        try:
            if getattr(v, "ndim", 0) == 0:
                return v.item()
            if getattr(v, "size", 1 << 30) <= 10_000:
                return v.tolist()
        except Exception:
            pass
    dict_method = getattr(v, "dict", None)  # pydantic v1
    if callable(dict_method) and hasattr(v, "__fields__"):
        try:
            return dict_method()
        except Exception:
            pass
    return _safe_repr(v)


def _walk(value: object, budget: _Budget, depth: int, path: set[int]) -> object:
    kind = type(value)
    if kind is str:
        return _cut(value, budget)  # type: ignore[arg-type]
    if kind is bool or kind is int or value is None:
        budget.left -= _SCALAR_COST
        return value
    if kind is float:
        budget.left -= _SCALAR_COST
        return value if math.isfinite(value) else str(value)  # type: ignore[arg-type]
    if depth >= _MAX_DEPTH:
        return _cut("<nested too deep>", budget)
    if isinstance(value, (dict, list, tuple, Mapping)):
        marker = id(value)
        if marker in path:
            return _cut("<circular reference>", budget)
        path.add(marker)
        try:
            if isinstance(value, Mapping):
                return _walk_mapping(value, budget, depth, path)  # type: ignore[arg-type]
            return _walk_sequence(value, budget, depth, path)  # type: ignore[arg-type]
        finally:
            path.discard(marker)
    if isinstance(value, enum.Enum):
        return _walk(value.value, budget, depth + 1, path)
    # Subclasses of the scalar types (numpy.float64, custom str types): plain copies.
    for base in (str, bool, int, float):
        if isinstance(value, base):
            return _walk(base(value), budget, depth, path)
    return _walk(_convert(value), budget, depth + 1, path)


def _key_name(key: object) -> str:
    # JSON keys are strings: scalars read as themselves, anything else as its repr.
    if key is None or isinstance(key, (str, int, float, bool)):
        return str(key)
    return _safe_repr(key)


def _walk_mapping(
    value: Mapping[Any, Any], budget: _Budget, depth: int, path: set[int]
) -> dict[str, object]:
    out: dict[str, object] = {}
    budget.left -= 2
    for index, (key, item) in enumerate(value.items()):
        if budget.left <= 0:
            out["..."] = f"[{len(value) - index} more keys]"
            break
        name = key if type(key) is str else _key_name(key)
        # The key first: in `out[k] = v` Python evaluates v before k.
        key_text = _cut(name, budget)
        out[key_text] = _walk(item, budget, depth + 1, path)
    return out


def _chunk_size(chunk: list[Any] | tuple[Any, ...], left: int) -> int | None:
    """The encoded size of a run of plain items, at C speed; None if not plain."""
    kinds = set(map(type, chunk))
    if kinds <= _STRINGS:  # documents, text chunks: length plus quotes and comma
        return sum(map(len, chunk)) + 3 * len(chunk)
    if not kinds <= _NUMBERS:
        return None
    if float in kinds:  # encoding floats is slow: size them by their longest repr
        return _FLOAT_COST * len(chunk) if all(map(math.isfinite, chunk)) else None
    return len(_encode(chunk))


def _walk_sequence(
    value: list[Any] | tuple[Any, ...], budget: _Budget, depth: int, path: set[int]
) -> list[object]:
    out: list[object] = []
    budget.left -= 2
    index = 0
    step = _CHUNK  # 0: item by item
    while index < len(value):
        if budget.left <= 0:
            out.append(f"...[{len(value) - index} more items]")
            break
        # Runs of plain strings or numbers (documents, embeddings) are sized a chunk at
        # a time at C speed instead of item by item. A chunk that crosses the budget is
        # halved; a mixed run (or NaN) ends the fast path.
        if step:
            chunk = value[index : index + step]
            size = _chunk_size(chunk, budget.left)
            if size is not None and size <= budget.left:
                out.extend(chunk)
                budget.left -= size
                index += len(chunk)
                continue
            step = step // 2 if size is not None and step > 1 else 0
            if step:
                continue
        out.append(_walk(value[index], budget, depth + 1, path))
        index += 1
    return out


def _fits(value: object, left: int, depth: int = 0) -> int:
    """What is left of ``left`` after ``value``, or -1 if it may not fit or is not plain JSON.

    Cheaper than the copying walk; lets small plain values go straight to the C encoder.
    """
    v: Any = value
    kind = type(v)
    if kind is str:
        return left - len(v) - 2
    if kind is int or kind is bool or v is None:
        return left - _SCALAR_COST
    if kind is float:
        return left - _FLOAT_COST
    if depth >= _MAX_DEPTH:  # also ends cycles
        return -1
    if kind is dict:
        left -= 2
        for key, item in v.items():
            if type(key) is not str:
                return -1
            left = _fits(item, left - len(key) - 4, depth + 1)
            if left < 0:
                return -1
        return left
    if kind is list or kind is tuple:
        left -= 2
        if 2 * len(v) > left:  # each item costs 2+ characters
            return -1
        kinds: set[type] = set(map(type, v))
        if kinds <= _NUMBERS:  # sized at C speed, like the walk's chunks
            return left - _FLOAT_COST * len(v)
        if kinds <= _STRINGS:
            return left - sum(map(len, v)) - 3 * len(v)
        for item in v:
            left = _fits(item, left - 1, depth + 1)
            if left < 0:
                return -1
        return left
    return -1


def to_jsonable(value: object, max_chars: int) -> object:
    """A copy of ``value`` made only of JSON types, about ``max_chars`` when encoded."""
    return _walk(value, _Budget(max_chars), 0, set())


def within(text: str, max_bytes: int) -> bool:
    """Whether ``text`` is at most ``max_bytes`` UTF-8 bytes."""
    # A character is at most 4 UTF-8 bytes (1 if ASCII): encode only when it could matter.
    size = len(text)
    if size <= max_bytes // 4 or (size <= max_bytes and text.isascii()):
        return True
    return len(text.encode("utf-8", "replace")) <= max_bytes


def dumps_bounded(value: object, max_bytes: int) -> str:
    """``value`` as JSON of at most ``max_bytes`` UTF-8 bytes; never raises."""
    # Small plain values (the common case) need no copy: straight to the C encoder.
    if _fits(value, max_bytes // 4) >= 0:
        try:
            text = _encode(value)
        except (ValueError, TypeError, RecursionError):  # NaN, infinity: the walk spells them
            pass
        else:
            if within(text, max_bytes):
                return text
    # Leave room for the estimate's error (escapes, markers) so one pass usually fits.
    budget = max_bytes - max_bytes // 16 - 64
    for _ in range(3):
        text = _encode(to_jsonable(value, budget))
        if within(text, max_bytes):
            return text
        budget = budget // 2
    return _encode(f"{TRUNCATION_MARKER} value too large to encode]")


def dumps_wire(value: object, max_bytes: int) -> str:
    """``dumps_bounded`` for model-call content: messages the SDK encodes or decodes in
    full anyway, so encoding them once at C speed costs less than sizing them first;
    only what is too large or not plain JSON goes through the bounded walk."""
    try:
        text = _encode(value)
    except (ValueError, TypeError, RecursionError):
        return dumps_bounded(value, max_bytes)
    return text if within(text, max_bytes) else dumps_bounded(value, max_bytes)
