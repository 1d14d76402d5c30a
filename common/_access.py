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
    # Hot on streams (every chunk): dicts and SDK objects first, the ABC check last.
    if obj is None:
        return default
    if type(obj) is dict:
        return cast("dict[str, Any]", obj).get(key, default)
    value = getattr(obj, key, _MISSING)
    if value is not _MISSING:
        return value
    if isinstance(obj, Mapping):
        return cast("Mapping[str, Any]", obj).get(key, default)
    return default


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
