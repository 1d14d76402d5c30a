"""What content capture records for the commonest Gemini calls, written as JSON directly.

A request of one user text and candidates of one text part each are most calls; their
``gen_ai.input.messages``/``gen_ai.output.messages`` are written here without building
the parts first (the same JSON, byte for byte). Anything else is ``_extract``'s.
"""

from __future__ import annotations

from typing import Any, cast

from spanwise.semconv import parts

from . import _extract as x

__all__ = ["input_messages_payload", "output_messages_payload"]


def input_messages_payload(contents: Any) -> parts.Encoded | list[parts.ChatMessage]:
    """What ``gen_ai.input.messages`` records: ``input_messages``, or the same JSON
    written directly for the commonest request, one user text."""
    if type(contents) is str and len(contents) <= parts.FAST_TEXT_MAX:
        return parts.Encoded.of_list([parts.text_message_json("user", contents)])
    return x.input_messages(contents)


def output_messages_payload(candidates: Any) -> parts.Encoded | list[parts.OutputMessage]:
    """What ``gen_ai.output.messages`` records: ``output_messages``, or the same JSON
    written directly when every candidate is one text part (not a thought)."""
    if type(candidates) is not list or not candidates:
        return x.output_messages(candidates)
    out: list[str] = []
    for candidate in cast("list[Any]", candidates):
        content = x.field(candidate, "content")
        found = x.field(content, "parts")
        if type(found) is not list or len(cast("list[Any]", found)) != 1:
            return x.output_messages(candidates)
        only: Any = cast("list[Any]", found)[0]
        text = x.field(only, "text")
        if type(text) is not str or len(text) > parts.FAST_TEXT_MAX or x.field(only, "thought"):
            return x.output_messages(candidates)
        reason = x.finish_reason(x.reason_name(x.field(candidate, "finish_reason", "finishReason")))
        role = x.role_name(x.field(content, "role") or "model")
        out.append(parts.text_message_json(role, text, finish_reason=reason))
    return parts.Encoded.of_list(out)
