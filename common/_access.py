"""Tolerant field access over SDK objects and dicts alike, and tool-call arguments.

Extractors read the same field from an SDK's response object, a dict (a proxy's raw
JSON, a recorded span) or nothing at all; these never raise for a missing field.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from ._json import loads

__all__ = ["get", "items", "tool_call_arguments"]

_MISSING = object()


def get(obj: Any, key: str, default: Any = None) -> Any:
    """``obj[key]`` for dicts, ``obj.key`` for SDK objects; ``default`` if absent."""
    # Hot on streams (every chunk) and per call: dicts and SDK objects first, the ABC
    # check last.
    if obj is None:
        return default
    if type(obj) is dict:
        return cast("dict[str, Any]", obj).get(key, default)
    fields = getattr(obj, "__dict__", None)
    if fields is not None and key in fields:
        return fields[key]
    # A field a pydantic v2 model lacks: pydantic's __getattr__ takes ~3 us to raise
    # AttributeError, and extraction asks for absent fields on every call (one SDK's
    # usage lacks the other SDK's names). A model keeps undeclared fields in
    # ``__pydantic_extra__`` and private ones ("_x") behind __getattr__: anything else
    # absent from both and from the class is absent.
    extra = getattr(obj, "__pydantic_extra__", _MISSING)
    if (extra is None or type(extra) is dict) and key[:1] != "_":
        if extra and key in extra:
            return cast("dict[str, Any]", extra)[key]
        kind: type = type(obj)  # pyright: ignore[reportUnknownVariableType]
        if not _class_has(kind, key):
            return default
    value = getattr(obj, key, _MISSING)
    if value is not _MISSING:
        return value
    if isinstance(obj, Mapping):
        return cast("Mapping[str, Any]", obj).get(key, default)
    return default


_CLASS_HAS: dict[tuple[type, str], bool] = {}


def _class_has(kind: type, key: str) -> bool:
    """``hasattr(kind, key)``, remembered: pydantic's metaclass is slow to say no."""
    try:
        return _CLASS_HAS[kind, key]
    except KeyError:
        pass
    if len(_CLASS_HAS) > 4096:  # SDK types and field names are few; stay bounded anyway
        _CLASS_HAS.clear()
    found = _CLASS_HAS[kind, key] = hasattr(kind, key)
    return found


def items(value: Any) -> list[Any]:
    """A list field of a dict or SDK object (absent or None: empty)."""
    if isinstance(value, (list, tuple)):
        return list(cast("list[Any]", value))
    return []


def tool_call_arguments(raw: Any) -> Any:
    """Tool-call arguments as an object when they are JSON (the convention asks so)."""
    if isinstance(raw, str):
        try:
            return loads(raw)
        except ValueError:
            return raw
    return raw
