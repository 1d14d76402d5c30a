"""Pure extraction for the Responses API: request -> attributes, response -> attributes.

``instructions`` are system instructions given apart; ``input`` is a string or a list of
messages and items (function calls and their outputs); the output is a list of items.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from spanwise.semconv import GenAIAttributes as G
from spanwise.semconv import OperationName

from ._extract import (
    content_parts,
    get,
    identity_attributes,
    items,
    number_rule,
    output_type,
    tool_call_arguments,
    usage_attributes,
)

__all__ = [
    "responses_input_messages",
    "responses_output",
    "responses_request_attributes",
    "responses_response_attributes",
]


_NUMBERS = {
    key: number_rule(key, name, float)
    for key, name in (("temperature", G.REQUEST_TEMPERATURE), ("top_p", G.REQUEST_TOP_P))
}


def responses_request_attributes(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    attrs: dict[str, Any] = {G.OPERATION_NAME: OperationName.CHAT}
    if kwargs.get("model") is not None:
        attrs[G.REQUEST_MODEL] = str(kwargs["model"])
    for key, rule in _NUMBERS.items():
        if key in kwargs:
            rule(attrs, kwargs)
    if isinstance(kwargs.get("max_output_tokens"), int):
        attrs[G.REQUEST_MAX_TOKENS] = kwargs["max_output_tokens"]
    # parse() takes a pydantic class as text_format; create() a text.format dict.
    kind = output_type(kwargs.get("text_format") or get(kwargs.get("text"), "format"))
    if kind is not None:
        attrs[G.OUTPUT_TYPE] = kind
    if kwargs.get("stream") is True:
        attrs[G.REQUEST_STREAM] = True
    return attrs


def responses_input_messages(value: Any) -> list[dict[str, Any]]:
    """``input`` (a string, or a list of messages and items) in the parts format."""
    if isinstance(value, str):
        return [{"role": "user", "parts": [{"type": "text", "content": value}]}]
    out: list[dict[str, Any]] = []
    for item in items(value):
        kind = get(item, "type")
        if kind == "function_call_output":
            response = get(item, "output")
            out.append(
                {
                    "role": "tool",
                    "parts": [
                        {
                            "type": "tool_call_response",
                            "id": get(item, "call_id"),
                            "response": response,
                        }
                    ],
                }
            )
        elif kind == "function_call":
            out.append(
                {
                    "role": "assistant",
                    "parts": [
                        {
                            "type": "tool_call",
                            "id": get(item, "call_id"),
                            "name": str(get(item, "name", "")),
                            "arguments": tool_call_arguments(get(item, "arguments")),
                        }
                    ],
                }
            )
        else:
            out.append(
                {
                    "role": str(get(item, "role", "user")),
                    "parts": content_parts(get(item, "content")),
                }
            )
    return out


def responses_output(response: Any) -> tuple[list[dict[str, Any]], str]:
    """The output message (parts format) and its finish reason."""
    parts: list[dict[str, Any]] = []
    for item in items(get(response, "output")):
        kind = get(item, "type")
        if kind == "message":
            parts += content_parts(get(item, "content"))
        elif kind == "function_call":
            parts.append(
                {
                    "type": "tool_call",
                    "id": get(item, "call_id"),
                    "name": str(get(item, "name", "")),
                    "arguments": tool_call_arguments(get(item, "arguments")),
                }
            )
        elif kind == "reasoning":
            summary = " ".join(str(get(s, "text", "")) for s in items(get(item, "summary")))
            if summary:
                parts.append({"type": "reasoning", "content": summary})
    status = str(get(response, "status") or "completed")
    has_calls = any(p["type"] == "tool_call" for p in parts)
    reason = (
        "tool_call"
        if has_calls
        else {"completed": "stop", "incomplete": "length"}.get(status, status)
    )
    return parts, reason


def responses_response_attributes(response: Any) -> dict[str, Any]:
    attrs = identity_attributes(response)
    if get(response, "output") is not None:
        attrs[G.RESPONSE_FINISH_REASONS] = [responses_output(response)[1]]
    attrs.update(usage_attributes(get(response, "usage")))
    return attrs
