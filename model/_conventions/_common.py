"""Helpers shared by the convention readers: flattened keys, JSON, canonical setters."""

from __future__ import annotations

import re
from typing import Any, cast

from spanwise.common import _json
from spanwise.semconv import parts

from .._chat_format import (
    content_parts,
    input_messages,
    output_messages,
    tool_call_part,
)

__all__ = [
    "as_dict",
    "as_int",
    "as_list",
    "chat_messages",
    "dumps",
    "indexed",
    "indexed_many",
    "loads",
    "message",
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
            return _json.loads(value)
        except ValueError:
            return value
    return value


dumps = _json.dumps


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


_EMPTY: tuple[Any, ...] = ([], "")  # never mutated; built once, not on every call


def put(attrs: dict[str, Any], key: str, value: Any) -> None:
    """Set a canonical key unless the span already has it (its own value wins)."""
    if value is not None and key not in attrs and value not in _EMPTY:
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

# Attribute keys repeat from span to span (``llm.input_messages.0.message.role``...), so
# their parse is memoized; bounded, because a receiver's keys come from anyone.
_SPLIT_CACHE: dict[str, tuple[str, int, str] | None] = {}
_SPLIT_CACHE_SIZE = 16_384


def _split(key: str) -> tuple[str, int, str] | None:
    """``<prefix><i>.<rest>`` at the first numeric segment, or None."""
    try:
        return _SPLIT_CACHE[key]
    except KeyError:
        pass
    match = _INDEXED_KEY.match(key)
    parsed = None if match is None else (match[1], int(match[2]), match[3])
    if len(_SPLIT_CACHE) < _SPLIT_CACHE_SIZE:
        _SPLIT_CACHE[key] = parsed
    return parsed


def indexed_many(
    attrs: dict[str, Any], prefixes: tuple[str, ...]
) -> dict[str, list[dict[str, Any]]]:
    """``indexed`` for several prefixes in one pass over the keys (the hot path of the
    flattened conventions)."""
    groups: dict[str, dict[int, dict[str, Any]]] = {}
    for key in [k for k in attrs if k.startswith(prefixes)]:
        parsed = _split(key)
        if parsed is not None and parsed[0] in prefixes:
            prefix, index, rest = parsed
            group = groups.get(prefix)
            if group is None:
                group = groups[prefix] = {}
            fields = group.get(index)
            if fields is None:
                fields = group[index] = {}
            fields[rest] = attrs.pop(key)
    return {p: [g[i] for i in sorted(g)] for p, g in groups.items()}


def message(
    role: Any,
    content: Any,
    tool_calls: list[tuple[Any, Any, Any]],
    *,
    tool_call_id: Any = None,
    name: Any = None,
    finish_reason: Any = None,
    output: bool = False,
) -> dict[str, Any]:
    """One chat message in the parts format, from a flattened convention's fields
    (``tool_calls`` as ``(id, name, arguments)``). The same result as the content-format
    path (``chat_messages``/``reply_messages``) without building the intermediate form,
    except that a reply without a role is the assistant's (that path says the user's).
    """
    role = str(role or ("assistant" if output else "user"))
    if role == "tool" and not output:
        message: list[parts.Part] = [parts.tool_call_response(tool_call_id, content)]
    else:
        message = content_parts(content)
        for call_id, call_name, arguments in tool_calls:
            message.append(tool_call_part(call_id, str(call_name or ""), arguments))
    entry: dict[str, Any] = {"role": role, "parts": message}
    if output:
        entry["finish_reason"] = str(finish_reason or "stop")
    elif name is not None:
        entry["name"] = name
    return entry


def chat_messages(messages: Any) -> list[Any]:
    """Messages in the older content format (``{"role", "content", "tool_calls"...}``,
    OpenAI's shape) in the GenAI parts format; parts-format messages pass through."""
    items = cast("list[Any]", messages) if isinstance(messages, list) else []
    if items and all(isinstance(m, dict) and "parts" in m for m in items):
        return items
    return input_messages([m for m in items if isinstance(m, dict)])


def reply_messages(messages: Any) -> list[Any]:
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
