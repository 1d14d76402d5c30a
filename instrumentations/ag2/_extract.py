"""AG2's calls as GenAI attributes: pure functions, no span, no patching.

AG2 keeps its conversations in the Chat Completions format (``{"role", "content",
"tool_calls", "tool_call_id", "name"}`` dicts) and its ``OpenAIWrapper`` answers with the
provider's ``ChatCompletion`` (AG2's own clients for other providers build the same
shape), so the shared Chat Completions core reads both; what is AG2's is here: the
provider named by a config's ``api_type``, a reply (a string, a message dict or None),
a function call's result tuple, a ``ChatResult``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from spanwise.model._chat_format import content_parts, tool_call_part
from spanwise.semconv import GenAIAttributes as G
from spanwise.semconv import ProviderName, parts

from .._chat_completions import chat_request_attributes
from .._extract import get, items

__all__ = [
    "chat_outputs",
    "config_provider",
    "conversation_id",
    "function_result",
    "reply_output_messages",
    "request_attributes",
]

# A config's api_type (its prefix: "anthropic_v2", "bedrock_v2"...) -> the provider.
_PROVIDERS = (
    ("azure", ProviderName.AZURE_AI_OPENAI),
    ("anthropic", ProviderName.ANTHROPIC),
    ("bedrock", ProviderName.AWS_BEDROCK),
    ("google", ProviderName.GCP_GEMINI),
    ("mistral", ProviderName.MISTRAL_AI),
    ("groq", ProviderName.GROQ),
    ("cohere", ProviderName.COHERE),
    ("deepseek", ProviderName.DEEPSEEK),
    ("ollama", "ollama"),
    ("together", "together"),
    ("cerebras", "cerebras"),
)


def config_provider(api_type: Any) -> str | None:
    """The provider of a config entry's ``api_type``; None for OpenAI's protocol (the
    default: the caller names it from the base URL)."""
    kind = str(api_type or "openai")
    for prefix, provider in _PROVIDERS:
        if kind.startswith(prefix):
            return provider
    return None


def request_attributes(config: Mapping[str, Any], client_config: Any) -> dict[str, Any]:
    """A ``create(**config)`` call's parameters over its client config's (model,
    temperature...); keys that are not request parameters (``api_key``) are not read."""
    merged: dict[str, Any] = {}
    for source in (client_config, config):
        if isinstance(source, Mapping):
            merged.update({str(k): v for k, v in source.items()})  # type: ignore[misc]
    merged.pop("stream", None)  # AG2 reads streamed answers whole: the call returns one
    return chat_request_attributes(merged)


def reply_output_messages(reply: Any) -> list[parts.OutputMessage] | None:
    """An agent's reply (a string, or a message dict with content and tool calls) as the
    output message; None for no reply."""
    if reply is None:
        return None
    if isinstance(reply, str):
        return [parts.output_message("assistant", [parts.text(reply)], "stop")]
    content = content_parts(get(reply, "content"))
    calls = items(get(reply, "tool_calls"))
    for call in calls:
        function = get(call, "function")
        content.append(
            tool_call_part(
                get(call, "id"), str(get(function, "name", "")), get(function, "arguments")
            )
        )
    role = str(get(reply, "role") or "assistant")
    return [parts.output_message(role, content, "tool_calls" if calls else "stop")]


def function_result(result: Any) -> tuple[bool, Any]:
    """``execute_function``'s ``(is_exec_success, {"name", "role", "content"})`` as the
    success flag and the content."""
    pair: list[Any] = list(cast("tuple[Any, ...]", result)) if isinstance(result, tuple) else []
    if len(pair) == 2:
        return bool(pair[0]), get(pair[1], "content")
    return True, cast("Any", result)


def chat_outputs(result: Any) -> dict[str, Any]:
    """A ``ChatResult``: its summary and the number of messages exchanged."""
    return {
        "summary": get(result, "summary"),
        "messages": len(items(get(result, "chat_history"))),
    }


def conversation_id(result: Any) -> dict[str, Any]:
    chat_id = get(result, "chat_id")
    return {} if chat_id is None else {G.CONVERSATION_ID: str(chat_id)}
