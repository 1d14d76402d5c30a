"""Pure extraction for the Converse API: request -> attributes and parts, response ->
attributes and parts.

No span, no patching: boto3's keyword arguments of ``converse`` / ``converse_stream``
(``modelId``, ``messages``, ``system``, ``inferenceConfig``, ``toolConfig``) and the
response dict in. Amazon Nova's ``invoke_model`` body speaks the same message shapes
(``messages``, ``system``, ``toolConfig``; images as base64 text instead of bytes), so
the content converters here serve it too. Content blocks map to the conventions:
``text`` -> text, ``toolUse`` -> tool_call, ``toolResult`` -> tool_call_response,
``reasoningContent`` -> reasoning, ``image``/``document``/``video`` -> blob (bytes) or
uri (an S3 location), ``guardContent`` -> its text; ``cachePoint`` markers are left out.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any, cast

from spanwise.semconv import GenAIAttributes as G
from spanwise.semconv import parts

from .._extract import get, items

__all__ = [
    "content_parts",
    "finish_reason",
    "input_messages",
    "input_messages_payload",
    "output_message",
    "output_messages_payload",
    "request_attributes",
    "response_attributes",
    "system_instructions",
    "tool_definitions",
    "usage_attributes",
]


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _number(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None


# -- requests ----------------------------------------------------------------------------


def request_attributes(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """``inferenceConfig`` (and ``top_k`` / ``topK`` passed through
    ``additionalModelRequestFields``) as request attributes."""
    attrs: dict[str, Any] = {}
    config = kwargs.get("inferenceConfig")
    if isinstance(config, Mapping):
        inference_attributes(config, attrs, "maxTokens")  # pyright: ignore[reportUnknownArgumentType]
    extra = kwargs.get("additionalModelRequestFields")
    if isinstance(extra, Mapping):
        nested = get(extra, "inferenceConfig")
        for value in (get(extra, "top_k"), get(extra, "topK"), get(nested, "topK")):
            top_k = _number(value)
            if top_k is not None:
                attrs[G.REQUEST_TOP_K] = top_k
                break
    return attrs


def inference_attributes(config: Mapping[str, Any], attrs: dict[str, Any], max_key: str) -> None:
    """An ``inferenceConfig`` (Converse's, or Nova's whose token bound is
    ``max_new_tokens``) into ``attrs``."""
    max_tokens = _int(config.get(max_key))
    if max_tokens is not None:
        attrs[G.REQUEST_MAX_TOKENS] = max_tokens
    for keys, name in (
        (("temperature",), G.REQUEST_TEMPERATURE),
        (("topP", "top_p"), G.REQUEST_TOP_P),
        (("topK", "top_k"), G.REQUEST_TOP_K),
    ):
        for key in keys:
            value = _number(config.get(key))
            if value is not None:
                attrs[name] = value
                break
    stop = config.get("stopSequences")
    if isinstance(stop, (list, tuple)) and stop:
        attrs[G.REQUEST_STOP_SEQUENCES] = [str(s) for s in items(stop)]


# -- content -------------------------------------------------------------------------------


def _media(block: Any, modality: str) -> parts.Part:
    """An image, document or video block: its bytes as a blob, an S3 object as a uri."""
    kind = str(get(block, "format") or "")
    mime = f"{modality}/{kind}" if kind and modality != "file" else None
    source = get(block, "source")
    data = get(source, "bytes")
    if isinstance(data, (bytes, bytearray)):
        return parts.blob(modality, base64.b64encode(data).decode(), mime)  # type: ignore[arg-type]
    if isinstance(data, str):  # Nova's invoke_model body: already base64
        return parts.blob(modality, data, mime)  # type: ignore[arg-type]
    location = get(source, "s3Location")
    if location is not None:
        return parts.uri(modality, str(get(location, "uri") or ""), mime)  # type: ignore[arg-type]
    text = get(source, "text")
    if isinstance(text, str):  # a plain-text document
        return parts.text(text)
    return parts.generic(modality)


def _tool_result(result: Any) -> Any:
    """A tool result's content: its text, its JSON, or its blocks as parts."""
    blocks = items(get(result, "content"))
    if len(blocks) == 1 and get(blocks[0], "json") is not None:
        return get(blocks[0], "json")
    if blocks and all(isinstance(get(b, "text"), str) for b in blocks):
        return "".join(get(b, "text") for b in blocks)
    return content_parts(blocks)


def _block_part(block: Any) -> parts.Part | None:
    text = get(block, "text")
    if isinstance(text, str):
        return parts.text(text)
    use = get(block, "toolUse")
    if use is not None:
        return parts.tool_call(
            get(use, "toolUseId"), str(get(use, "name") or ""), get(use, "input")
        )
    result = get(block, "toolResult")
    if result is not None:
        return parts.tool_call_response(get(result, "toolUseId"), _tool_result(result))
    reasoning = get(block, "reasoningContent")
    if reasoning is not None:
        return parts.reasoning(str(get(get(reasoning, "reasoningText"), "text") or ""))
    for key, modality in (("image", "image"), ("document", "file"), ("video", "video")):
        media = get(block, key)
        if media is not None:
            return _media(media, modality)
    guarded = get(get(block, "guardContent"), "text")
    if guarded is not None:
        return parts.text(str(get(guarded, "text") or ""))
    if get(block, "json") is not None:  # a tool result's JSON block
        return parts.generic("json")
    if get(block, "cachePoint") is not None:  # a cache marker, not content
        return None
    keys = list(block) if isinstance(block, Mapping) else []  # pyright: ignore[reportUnknownArgumentType, reportUnknownVariableType]
    return parts.generic(str(keys[0]) if keys else "unknown")  # pyright: ignore[reportUnknownArgumentType]


def content_parts(content: Any) -> list[parts.Part]:
    """A message's content blocks as GenAI parts."""
    if isinstance(content, str):
        return [parts.text(content)]
    out: list[parts.Part] = []
    for block in items(content):
        text = cast("dict[str, Any]", block).get("text") if type(block) is dict else None
        part = parts.text(text) if type(text) is str else _block_part(block)
        if part is not None:
            out.append(part)
    return out


def input_messages(messages: Any) -> list[parts.ChatMessage]:
    """``messages``; a user turn of tool results only is the conventions' ``tool`` role."""
    out: list[parts.ChatMessage] = []
    for message in items(messages):
        role = str(get(message, "role") or "user")
        content = content_parts(get(message, "content"))
        if role == "user" and content and all(p["type"] == "tool_call_response" for p in content):
            role = "tool"
        out.append(parts.chat_message(role, content))
    return out


def _only_text(content: Any) -> str | None:
    """The text of content that is one text block and nothing else (most turns)."""
    if type(content) is list and len(cast("list[Any]", content)) == 1:
        block: Any = cast("list[Any]", content)[0]
        if type(block) is dict and len(cast("dict[str, Any]", block)) == 1:
            text = cast("dict[str, Any]", block).get("text")
            if type(text) is str and len(text) <= parts.FAST_TEXT_MAX:
                return text
    return None


def input_messages_payload(messages: Any) -> parts.Encoded | list[parts.ChatMessage]:
    """What ``gen_ai.input.messages`` records: ``input_messages``, or the same JSON
    written directly when every message is one text block."""
    return parts.plain_messages_json(messages, _only_text) or input_messages(messages)


def system_instructions(system: Any) -> list[parts.Part]:
    """``system``: a list of text (and cache point, guard content) blocks."""
    return content_parts(system) if system else []


def tool_definitions(tool_config: Any) -> list[dict[str, Any]]:
    """``toolConfig.tools``: each ``toolSpec`` with its JSON input schema."""
    out: list[dict[str, Any]] = []
    if tool_config is None:
        return out
    for tool in items(get(tool_config, "tools")):
        spec = get(tool, "toolSpec")
        if spec is None:
            continue  # a cachePoint, or a system tool
        schema = get(spec, "inputSchema")
        out.append(
            parts.tool_definition(
                str(get(spec, "name") or ""), get(spec, "description"), get(schema, "json")
            )
        )
    return out


# -- responses -------------------------------------------------------------------------------

_FINISH = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_call",
    "guardrail_intervened": "content_filter",
    "content_filtered": "content_filter",
}


def finish_reason(stop_reason: Any) -> str:
    """The conventions' finish reason for a Converse ``stopReason`` (none: ``error``)."""
    if stop_reason is None:
        return "error"
    return _FINISH.get(str(stop_reason), str(stop_reason))


def usage_attributes(usage: Any) -> dict[str, Any]:
    """Token counts. ``input_tokens`` counts cache reads and writes too (Bedrock's
    ``inputTokens`` leaves them out), as the conventions ask. Nova's invoke_model body
    spells the cache counts ``cacheRead/WriteInputTokenCount``."""
    attrs: dict[str, Any] = {}
    if usage is None:
        return attrs
    total = _int(get(usage, "inputTokens"))
    for keys, name in (
        (("cacheReadInputTokens", "cacheReadInputTokenCount"), G.USAGE_CACHE_READ_INPUT_TOKENS),
        (
            ("cacheWriteInputTokens", "cacheWriteInputTokenCount"),
            G.USAGE_CACHE_CREATION_INPUT_TOKENS,
        ),
    ):
        for key in keys:
            value = _int(get(usage, key))
            if value is not None:
                attrs[name] = value
                total = (total or 0) + value
                break
    if total is not None:
        attrs[G.USAGE_INPUT_TOKENS] = total
    output = _int(get(usage, "outputTokens"))
    if output is not None:
        attrs[G.USAGE_OUTPUT_TOKENS] = output
    return attrs


def response_attributes(response: Any) -> dict[str, Any]:
    """Metadata of a Converse response (no content: Converse reports no id or model)."""
    attrs: dict[str, Any] = {}
    stop_reason = get(response, "stopReason")
    if stop_reason is not None:
        attrs[G.RESPONSE_FINISH_REASONS] = [str(stop_reason)]
    attrs.update(usage_attributes(get(response, "usage")))
    return attrs


def output_messages_payload(response: Any) -> parts.Encoded | list[parts.OutputMessage]:
    """What ``gen_ai.output.messages`` records: ``[output_message(response)]``, or the
    same JSON written directly when the answer is one text block."""
    message = get(get(response, "output"), "message")
    text = _only_text(get(message, "content"))
    role = get(message, "role") or "assistant"
    if text is not None and type(role) is str:
        reason = finish_reason(get(response, "stopReason"))
        return parts.Encoded.of_list([parts.text_message_json(role, text, finish_reason=reason)])
    return [output_message(response)]


def output_message(response: Any) -> parts.OutputMessage:
    """``output.message`` in the parts format."""
    message = get(get(response, "output"), "message")
    return parts.output_message(
        str(get(message, "role") or "assistant"),
        content_parts(get(message, "content")),
        finish_reason(get(response, "stopReason")),
    )
