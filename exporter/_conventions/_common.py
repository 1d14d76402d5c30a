"""Helpers shared by the convention readers: flattened keys, JSON, canonical setters."""

from __future__ import annotations

import json
import re
from typing import Any, cast

from spanwise.instrumentations.openai._extract import input_messages, output_messages

__all__ = [
    "as_dict",
    "as_int",
    "as_list",
    "chat_messages",
    "dumps",
    "indexed",
    "indexed_many",
    "loads",
    "put",
    "reply_messages",
]


def as_dict(value: Any) -> dict[str, Any] | None:
    """``value`` as a JSON object (typed), or None."""
    return cast("dict[str, Any]", value) if isinstance(value, dict) else None


def as_list(value: Any) -> list[Any]:
    """``value`` as a JSON array (typed); anything else is empty."""
    return cast("list[Any]", value) if isinstance(value, (list, tuple)) else []


def loads(value: Any) -> Any:
    """A JSON document's value, or the value itself if it is not JSON text."""
    if isinstance(value, str) and value[:1] in ("{", "[", '"'):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


# One encoder: json.dumps with non-default options builds a new encoder per call.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str)


def dumps(value: Any) -> str:
    return _ENCODER.encode(value)


def as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def put(attrs: dict[str, Any], key: str, value: Any) -> None:
    """Set a canonical key unless the span already has it (its own value wins)."""
    if value is not None and value not in ([], "") and key not in attrs:
        attrs[key] = value


def indexed(attrs: dict[str, Any], prefix: str) -> list[dict[str, Any]]:
    """Pop every ``<prefix><i>.<rest>`` key; the groups ``{rest: value}`` in index order."""
    groups: dict[int, dict[str, Any]] = {}
    size = len(prefix)
    for key in [k for k in attrs if k.startswith(prefix)]:
        index, dot, rest = key[size:].partition(".")
        if dot and index.isdigit():
            groups.setdefault(int(index), {})[rest] = attrs.pop(key)
    return [groups[i] for i in sorted(groups)]


_INDEXED_KEY = re.compile(r"(.*?\.)(\d+)\.(.*)", re.DOTALL)


def indexed_many(
    attrs: dict[str, Any], prefixes: tuple[str, ...]
) -> dict[str, list[dict[str, Any]]]:
    """``indexed`` for several prefixes in one pass over the keys (the hot path of the
    flattened conventions)."""
    wanted = set(prefixes)
    groups: dict[str, dict[int, dict[str, Any]]] = {}
    for key in [k for k in attrs if k.startswith(prefixes)]:
        match = _INDEXED_KEY.match(key)
        if match is not None:
            prefix, index, rest = match.groups()
            if prefix in wanted:
                groups.setdefault(prefix, {}).setdefault(int(index), {})[rest] = attrs.pop(key)
    return {p: [g[i] for i in sorted(g)] for p, g in groups.items()}


def chat_messages(messages: Any) -> list[dict[str, Any]]:
    """Messages in the older content format (``{"role", "content", "tool_calls"...}``,
    OpenAI's shape) in the GenAI parts format; parts-format messages pass through."""
    items = cast("list[Any]", messages) if isinstance(messages, list) else []
    if items and all(isinstance(m, dict) and "parts" in m for m in items):
        return items
    return input_messages([m for m in items if isinstance(m, dict)])


def reply_messages(messages: Any) -> list[dict[str, Any]]:
    """Model replies (content format, each maybe with a ``finish_reason``) as parts."""
    items = cast("list[Any]", messages) if isinstance(messages, list) else []
    if items and all(isinstance(m, dict) and "parts" in m for m in items):
        return items
    return output_messages(
        [
            {"message": m, "finish_reason": m.get("finish_reason") or "stop"}
            for m in map(as_dict, items)
            if m is not None
        ]
    )
