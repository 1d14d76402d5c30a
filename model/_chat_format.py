"""The Chat Completions message format in the GenAI parts format.

OpenAI's chat messages (``{"role", "content", "tool_calls", "tool_call_id"}``, content a
string or a list of typed parts) are the lingua franca of LLM APIs: OpenAI-compatible
servers, Groq, Mistral and LiteLLM speak it, and the OpenInference and OpenLLMetry
conventions record it. Both the translation layer and those libraries' instrumentors
convert it here, once. Mistral's variants are understood too: ``image_url`` as a plain
string, ``document_url``, a flat ``file`` chunk and ``thinking`` chunks (reasoning).
"""

from __future__ import annotations

from typing import Any, cast

from spanwise.common._access import get, items, tool_call_arguments
from spanwise.semconv import parts

__all__ = [
    "REASONING_FIELDS",
    "content_parts",
    "input_messages",
    "input_messages_payload",
    "output_messages",
    "output_messages_payload",
    "tool_call_part",
    "tool_definitions",
]


def content_parts(content: Any) -> list[parts.Part]:
    """Chat Completions message content (text or a list of typed parts) as GenAI parts."""
    if isinstance(content, str):
        return [parts.text(content)]
    if isinstance(content, (int, float)):  # a compatible server's number: its string
        return [parts.text(str(content))]
    if not content:  # None, an empty list, or an SDK's falsy "unset" sentinel (Mistral)
        return []
    out: list[parts.Part] = []
    # Only real sequences are lists of parts: a generator would be consumed before the SDK
    # sees it, and an SDK model (pydantic iterates its fields) is one part.
    many = isinstance(content, (list, tuple))
    for item in content if many else [content]:  # pyright: ignore[reportUnknownVariableType]
        if isinstance(item, str):  # a bare string among the parts: text
            out.append(parts.text(item))
            continue
        kind = get(item, "type")
        if kind in ("text", "input_text", "output_text"):
            out.append(parts.text(str(get(item, "text", ""))))
        elif kind == "refusal":
            out.append(parts.text(str(get(item, "refusal", ""))))
        elif kind == "image_url":
            image = get(item, "image_url")  # Mistral: the URL itself, or {"url": ...}
            url = image if isinstance(image, str) else get(image, "url")
            out.append(parts.uri("image", str(url)))
        elif kind == "document_url":  # Mistral
            out.append(parts.uri("file", str(get(item, "document_url", ""))))
        elif kind == "thinking":  # Mistral: the reasoning's own text chunks
            out.append(parts.reasoning(_text_of(get(item, "thinking"))))
        elif kind == "input_audio":
            audio = get(item, "input_audio")
            if isinstance(audio, str):  # Mistral: the base64 data itself
                out.append(parts.blob("audio", audio))
                continue
            out.append(
                parts.blob(
                    "audio", str(get(audio, "data", "")), f"audio/{get(audio, 'format', 'wav')}"
                )
            )
        elif kind == "file":  # OpenAI nests {"file_id"} under "file"; Mistral does not
            out.append(parts.file("file", str(get(get(item, "file") or item, "file_id"))))
        else:
            out.append(parts.generic(str(kind or "unknown")))
    return out


def _text_of(chunks: Any) -> str:
    """The text of a string or of a list of text chunks."""
    if isinstance(chunks, str):
        return chunks
    return "".join(str(get(c, "text", "")) for c in items(chunks) if get(c, "type") == "text")


def tool_call_part(call_id: Any, name: str, arguments: Any) -> parts.ToolCallPart:
    """A ``tool_call`` part (the id only when there is one; JSON arguments as an object)."""
    part = parts.tool_call(call_id, name)
    part["arguments"] = tool_call_arguments(arguments)
    return part


def _tool_call_parts(tool_calls: Any) -> list[parts.Part]:
    out: list[parts.Part] = []
    for call in items(tool_calls):
        function = get(call, "function")
        out.append(
            tool_call_part(
                get(call, "id"), str(get(function, "name", "")), get(function, "arguments")
            )
        )
    return out


def input_messages(messages: Any) -> list[parts.ChatMessage]:
    """Chat Completions ``messages`` in the parts format (system messages included: they
    are part of the chat history)."""
    out: list[parts.ChatMessage] = []
    for message in items(messages):
        role = str(get(message, "role", "user"))
        if role == "tool":
            content: list[parts.Part] = [
                parts.tool_call_response(get(message, "tool_call_id"), get(message, "content"))
            ]
        else:
            content = content_parts(get(message, "content"))
            content += _tool_call_parts(get(message, "tool_calls"))
        out.append(parts.chat_message(role, content, get(message, "name")))
    return out


# Where compatible servers put a reasoning model's thinking beside the answer: Groq's
# reasoning_format="parsed" and OpenRouter in ``reasoning``, DeepSeek and vLLM in
# ``reasoning_content``.
REASONING_FIELDS = ("reasoning", "reasoning_content")


def _reasoning_parts(message: Any) -> list[parts.Part]:
    for key in REASONING_FIELDS:
        text = get(message, key)
        if isinstance(text, str) and text:
            return [parts.reasoning(text)]
    return []


def output_messages(choices: Any) -> list[parts.OutputMessage]:
    """Response choices in the parts format, one output message per choice."""
    out: list[parts.OutputMessage] = []
    for choice in items(choices):
        message = get(choice, "message")
        content = _reasoning_parts(message)
        content += content_parts(get(message, "content"))
        refusal = get(message, "refusal")
        if refusal:
            content.append(parts.text(str(refusal)))
        tool_calls = get(message, "tool_calls")
        if tool_calls:
            content += _tool_call_parts(tool_calls)
        out.append(
            parts.output_message(
                str(get(message, "role") or "assistant"),
                content,
                str(get(choice, "finish_reason") or "error"),
            )
        )
    return out


def input_messages_payload(messages: Any) -> parts.Encoded | list[parts.ChatMessage]:
    """What ``gen_ai.input.messages`` records: ``input_messages(messages)``, or, when
    every message is a plain ``{"role", "content"[, "name"]}`` dict of text (most calls),
    the same JSON written directly."""
    return parts.plain_messages_json(messages, named=True) or input_messages(messages)


def output_messages_payload(choices: Any) -> parts.Encoded | list[parts.OutputMessage]:
    """What ``gen_ai.output.messages`` records: ``output_messages(choices)``, or, when
    every choice is a text answer (no tool calls, no refusal), the same JSON written
    directly."""
    if type(choices) is list and choices:
        out: list[str] = []
        for choice in cast("list[Any]", choices):
            message = get(choice, "message")
            content = get(message, "content")
            role = get(message, "role") or "assistant"
            finish = get(choice, "finish_reason") or "error"
            if (
                type(content) is not str
                or len(content) > parts.FAST_TEXT_MAX
                or type(role) is not str
                or type(finish) is not str
                or get(message, "tool_calls")
                or get(message, "refusal")
                or _reasoning_parts(message)
            ):
                return output_messages(choices)
            out.append(parts.text_message_json(role, content, finish_reason=finish))
        return parts.Encoded.of_list(out)
    return output_messages(choices)


def tool_definitions(tools: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for tool in items(tools):
        # Chat Completions nest the function; the Responses API puts it at the top.
        function = get(tool, "function") or (tool if get(tool, "type") == "function" else None)
        if function is None:  # a built-in tool (web search, file search...): named by type
            kind = str(get(tool, "type", "unknown"))
            out.append(parts.tool_definition(str(get(tool, "name", "")), kind=kind))
            continue
        out.append(
            parts.tool_definition(
                str(get(function, "name", "")),
                get(function, "description"),
                get(function, "parameters"),
            )
        )
    return out


# -- requests --------------------------------------------------------------------------------
