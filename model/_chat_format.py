"""The Chat Completions message format in the GenAI parts format.

OpenAI's chat messages (``{"role", "content", "tool_calls", "tool_call_id"}``, content a
string or a list of typed parts) are the lingua franca of LLM APIs: OpenAI-compatible
servers, Groq, Mistral and LiteLLM speak it, and the OpenInference and OpenLLMetry
conventions record it. Both the translation layer and those libraries' instrumentors
convert it here, once.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from spanwise.common._access import get, items, tool_call_arguments
from spanwise.semconv import parts

__all__ = [
    "content_parts",
    "input_messages",
    "output_messages",
    "tool_call_part",
    "tool_definitions",
]


def content_parts(content: Any) -> list[parts.Part]:
    """Chat Completions message content (text or a list of typed parts) as GenAI parts."""
    if content is None:
        return []
    if isinstance(content, str):
        return [parts.text(content)]
    out: list[parts.Part] = []
    for item in content if isinstance(content, Iterable) else [content]:  # pyright: ignore[reportUnknownVariableType]
        kind = get(item, "type")
        if kind in ("text", "input_text", "output_text"):
            out.append(parts.text(str(get(item, "text", ""))))
        elif kind == "refusal":
            out.append(parts.text(str(get(item, "refusal", ""))))
        elif kind == "image_url":
            out.append(parts.uri("image", str(get(get(item, "image_url"), "url"))))
        elif kind == "input_audio":
            audio = get(item, "input_audio")
            out.append(
                parts.blob(
                    "audio", str(get(audio, "data", "")), f"audio/{get(audio, 'format', 'wav')}"
                )
            )
        elif kind == "file":
            out.append(parts.file("file", str(get(get(item, "file"), "file_id"))))
        else:
            out.append(parts.generic(str(kind or "unknown")))
    return out


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


def output_messages(choices: Any) -> list[parts.OutputMessage]:
    """Response choices in the parts format, one output message per choice."""
    out: list[parts.OutputMessage] = []
    for choice in items(choices):
        message = get(choice, "message")
        content = content_parts(get(message, "content"))
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
