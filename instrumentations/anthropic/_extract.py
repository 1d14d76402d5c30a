"""Pure extraction: Anthropic Messages request -> attributes, response -> attributes.

No span, no patching: the call's kwargs and the SDK's response objects (or dicts) in,
attribute dicts and GenAI parts out. Anthropic's content blocks map onto the parts:
text -> text, image/document -> blob/uri/file, tool_use -> tool_call, tool_result ->
tool_call_response, thinking -> reasoning; the ``system`` prompt is
``gen_ai.system_instructions``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from spanwise.semconv import GenAIAttributes as G
from spanwise.semconv import ProviderName, parts

from .._extract import (
    Rule,
    apply_rules,
    get,
    identity_attributes,
    int_rule,
    items,
    number_rule,
    stop_rule,
    stream_rule,
)
from .._invocation import CHAT
from .._stainless import ProviderCache

__all__ = [
    "PROVIDERS",
    "content_parts",
    "finish_reason",
    "input_messages",
    "input_messages_payload",
    "output_message",
    "output_messages_payload",
    "provider_name",
    "request_attributes",
    "response_attributes",
    "system_instructions",
    "tool_definitions",
    "usage_attributes",
]


def provider_name(host: str, path: str) -> str:
    """``gen_ai.provider.name`` of an Anthropic client's base URL (the SDK's Bedrock and
    Vertex clients are Anthropic clients on those clouds' hosts)."""
    if host.startswith("bedrock-runtime.") and host.endswith(".amazonaws.com"):
        return ProviderName.AWS_BEDROCK
    if host.endswith("aiplatform.googleapis.com"):
        return ProviderName.GCP_VERTEX_AI
    return ProviderName.ANTHROPIC


PROVIDERS = ProviderCache(provider_name)

# -- requests ----------------------------------------------------------------------------

_RULES: dict[str, Rule] = {
    "max_tokens": int_rule("max_tokens", G.REQUEST_MAX_TOKENS),
    "temperature": number_rule("temperature", G.REQUEST_TEMPERATURE, float),
    "top_p": number_rule("top_p", G.REQUEST_TOP_P, float),
    "top_k": number_rule("top_k", G.REQUEST_TOP_K, float),
    "stop_sequences": stop_rule("stop_sequences"),
    "stream": stream_rule,
}


def request_attributes(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """Metadata of a Messages request (no content). Parameters an SDK no longer takes as
    arguments (``temperature``, ``top_p``, ``top_k`` in recent ones) still reach the API
    through ``extra_body``: they count too, the arguments first."""
    attrs = CHAT.attributes(kwargs.get("model"))
    extra = kwargs.get("extra_body")
    if isinstance(extra, Mapping) and extra:
        apply_rules(attrs, cast("Mapping[str, Any]", extra), _RULES)
    apply_rules(attrs, kwargs, _RULES)
    return attrs


# -- content -------------------------------------------------------------------------------


def _source_part(source: Any, modality: str) -> parts.Part:
    """An image or document ``source``: base64 data, a URL, or an uploaded file."""
    kind = get(source, "type")
    media_type = get(source, "media_type")
    if kind == "base64":
        return parts.blob(modality, str(get(source, "data", "")), media_type)
    if kind == "url":
        return parts.uri(modality, str(get(source, "url", "")), media_type)
    if kind == "file":
        return parts.file(modality, str(get(source, "file_id", "")), media_type)
    if kind == "text":  # a plain-text document
        return parts.text(str(get(source, "data", "")))
    return parts.generic(str(kind or "unknown"))


def _tool_result(block: Any) -> Any:
    """A tool result's content: its text, or its blocks as parts."""
    content = get(block, "content")
    if content is None or isinstance(content, str):
        return content
    blocks = items(content)
    if all(get(b, "type") == "text" for b in blocks):
        return "".join(str(get(b, "text", "")) for b in blocks)
    return content_parts(blocks)


def _block_part(block: Any) -> parts.Part:
    kind = get(block, "type")
    if kind == "text":
        return parts.text(str(get(block, "text", "")))
    if kind in ("tool_use", "server_tool_use"):
        return parts.tool_call(get(block, "id"), str(get(block, "name", "")), get(block, "input"))
    if kind == "tool_result":
        return parts.tool_call_response(get(block, "tool_use_id"), _tool_result(block))
    if kind == "thinking":
        return parts.reasoning(str(get(block, "thinking", "")))
    if kind == "image":
        return _source_part(get(block, "source"), "image")
    if kind == "document":
        return _source_part(get(block, "source"), "file")
    # redacted_thinking, web search results, containers...: named, content left out.
    return parts.generic(str(kind or "unknown"))


def content_parts(content: Any) -> list[parts.Part]:
    """A message's ``content`` (a string or a list of blocks) as GenAI parts."""
    if content is None:
        return []
    if isinstance(content, str):
        return [parts.text(content)]
    return [_block_part(block) for block in items(content)]


def input_messages(messages: Any) -> list[parts.ChatMessage]:
    """The request's ``messages``. A user turn that carries only tool results is the
    conventions' ``tool`` role."""
    out: list[parts.ChatMessage] = []
    for message in items(messages):
        role = str(get(message, "role", "user"))
        content = content_parts(get(message, "content"))
        if role == "user" and content and all(p["type"] == "tool_call_response" for p in content):
            role = "tool"
        out.append(parts.chat_message(role, content))
    return out


def input_messages_payload(messages: Any) -> parts.Encoded | list[parts.ChatMessage]:
    """What ``gen_ai.input.messages`` records: ``input_messages``, or the same JSON
    written directly when every message's content is a string."""
    return parts.plain_messages_json(messages) or input_messages(messages)


def system_instructions(system: Any) -> list[parts.Part] | None:
    """``system``: a string or a list of text blocks."""
    if system is None:
        return None
    return content_parts(system)


def tool_definitions(tools: Any) -> list[dict[str, Any]]:
    """The offered tools: custom tools with their input schema, server tools by type."""
    out: list[dict[str, Any]] = []
    for tool in items(tools):
        kind = get(tool, "type")
        name = str(get(tool, "name", kind or ""))
        if kind in (None, "custom"):
            out.append(
                parts.tool_definition(name, get(tool, "description"), get(tool, "input_schema"))
            )
        else:  # a server tool (web_search_20250305, bash_..., ...)
            out.append(parts.tool_definition(name, kind=str(kind)))
    return out


# -- responses -------------------------------------------------------------------------------

_FINISH = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_call",
    "refusal": "content_filter",
}


def finish_reason(stop_reason: Any) -> str:
    """The conventions' finish reason for Anthropic's ``stop_reason`` (none: ``error``)."""
    if stop_reason is None:
        return "error"
    return _FINISH.get(str(stop_reason), "stop")


def usage_attributes(usage: Any) -> dict[str, Any]:
    """Token counts. ``input_tokens`` counts cache reads and writes too (Anthropic's
    ``input_tokens`` leaves them out), as the conventions ask."""
    attrs: dict[str, Any] = {}
    if usage is None:
        return attrs
    total: int | None = None
    for key, name in (
        ("cache_read_input_tokens", G.USAGE_CACHE_READ_INPUT_TOKENS),
        ("cache_creation_input_tokens", G.USAGE_CACHE_CREATION_INPUT_TOKENS),
        ("input_tokens", None),
    ):
        value = get(usage, key)
        if isinstance(value, int):
            total = (total or 0) + value
            if name is not None:
                attrs[name] = value
    if total is not None:
        attrs[G.USAGE_INPUT_TOKENS] = total
    output = get(usage, "output_tokens")
    if isinstance(output, int):
        attrs[G.USAGE_OUTPUT_TOKENS] = output
    return attrs


def response_attributes(message: Any) -> dict[str, Any]:
    """Metadata of a response message (no content)."""
    attrs = identity_attributes(message)
    stop_reason = get(message, "stop_reason")
    if stop_reason is not None:
        attrs[G.RESPONSE_FINISH_REASONS] = [str(stop_reason)]
    attrs.update(usage_attributes(get(message, "usage")))
    return attrs


def output_messages_payload(message: Any) -> parts.Encoded | list[parts.OutputMessage]:
    """What ``gen_ai.output.messages`` records: ``[output_message(message)]``, or the
    same JSON written directly when the answer is one text block."""
    blocks = get(message, "content")
    if type(blocks) is list and len(cast("list[Any]", blocks)) == 1:
        block: Any = cast("list[Any]", blocks)[0]
        text = get(block, "text")
        role = get(message, "role") or "assistant"
        if (
            get(block, "type") == "text"
            and type(text) is str
            and len(text) <= parts.FAST_TEXT_MAX
            and type(role) is str
        ):
            reason = finish_reason(get(message, "stop_reason"))
            return parts.Encoded.of_list(
                [parts.text_message_json(role, text, finish_reason=reason)]
            )
    return [output_message(message)]


def output_message(message: Any) -> parts.OutputMessage:
    """The response message in the parts format."""
    return parts.output_message(
        str(get(message, "role") or "assistant"),
        content_parts(get(message, "content")),
        finish_reason(get(message, "stop_reason")),
    )
