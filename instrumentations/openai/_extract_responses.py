"""Pure extraction for the Responses API: request -> attributes, response -> attributes.

``instructions`` are system instructions given apart; ``input`` is a string or a list of
messages and items (function calls and their outputs); the output is a list of items.
``conversation`` (an id or ``{"id": ...}``) is the span's ``gen_ai.conversation.id``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from spanwise.semconv import GenAIAttributes as G
from spanwise.semconv import OperationName, parts

from ._extract import (
    content_parts,
    get,
    identity_attributes,
    items,
    number_rule,
    output_type,
    tool_call_part,
    usage_attributes,
)

__all__ = [
    "responses_conversation",
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
    conversation = responses_conversation(kwargs.get("conversation"))
    if conversation is not None:
        attrs[G.CONVERSATION_ID] = conversation
    return attrs


def responses_conversation(value: Any) -> str | None:
    """The ``conversation`` a request belongs to: its id (``"conv_..."``) or an object
    with one (``{"id": "conv_..."}``); None when absent or empty (the SDK's NOT_GIVEN)."""
    found = value if isinstance(value, str) else get(value, "id")
    return found if isinstance(found, str) and found else None


def responses_input_messages(value: Any) -> list[parts.ChatMessage]:
    """``input`` (a string, or a list of messages and items) in the parts format."""
    if isinstance(value, str):
        return [parts.chat_message("user", [parts.text(value)])]
    out: list[parts.ChatMessage] = []
    for item in items(value):
        kind = get(item, "type")
        if kind == "function_call_output":
            response = parts.tool_call_response(get(item, "call_id"), get(item, "output"))
            out.append(parts.chat_message("tool", [response]))
        elif kind == "function_call":
            out.append(parts.chat_message("assistant", [_function_call(item)]))
        else:
            message = content_parts(get(item, "content"))
            out.append(parts.chat_message(str(get(item, "role", "user")), message))
    return out


def _function_call(item: Any) -> parts.ToolCallPart:
    return tool_call_part(get(item, "call_id"), str(get(item, "name", "")), get(item, "arguments"))


def responses_output(response: Any) -> tuple[list[parts.Part], str]:
    """The output message (parts format) and its finish reason."""
    out: list[parts.Part] = []
    for item in items(get(response, "output")):
        kind = get(item, "type")
        if kind == "message":
            out += content_parts(get(item, "content"))
        elif kind == "function_call":
            out.append(_function_call(item))
        elif kind == "reasoning":
            summary = " ".join(str(get(s, "text", "")) for s in items(get(item, "summary")))
            if summary:
                out.append(parts.reasoning(summary))
    status = str(get(response, "status") or "completed")
    has_calls = any(p["type"] == "tool_call" for p in out)
    reason = (
        "tool_call"
        if has_calls
        else {"completed": "stop", "incomplete": "length"}.get(status, status)
    )
    return out, reason


def responses_response_attributes(response: Any) -> dict[str, Any]:
    attrs = identity_attributes(response)
    if get(response, "output") is not None:
        attrs[G.RESPONSE_FINISH_REASONS] = [responses_output(response)[1]]
    attrs.update(usage_attributes(get(response, "usage")))
    return attrs
