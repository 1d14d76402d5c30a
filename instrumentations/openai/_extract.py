"""Pure extraction: OpenAI request -> attributes, response -> attributes.

No span, no patching: plain objects in (the call's kwargs, the SDK's response objects or
dicts), attribute dicts out, so every rule is testable without a network. Messages are
converted to the GenAI conventions' parts format (v1.41.0 JSON schemas).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, cast
from urllib.parse import urlsplit

from spanwise.semconv import GenAIAttributes as G
from spanwise.semconv import OperationName, ProviderName, ServerAttributes

from .._json import loads

__all__ = [
    "chat_request_attributes",
    "chat_response_attributes",
    "content_parts",
    "embeddings_request_attributes",
    "embeddings_response_attributes",
    "get",
    "identity_attributes",
    "input_messages",
    "items",
    "number_rule",
    "output_messages",
    "output_type",
    "provider_attributes",
    "tool_call_arguments",
    "tool_call_part",
    "tool_definitions",
    "usage_attributes",
]


_MISSING = object()


def get(obj: Any, key: str, default: Any = None) -> Any:
    """``obj[key]`` for dicts, ``obj.key`` for SDK objects; ``default`` if absent."""
    # Hot on streams (every chunk): dicts and SDK objects first, the ABC check last.
    if obj is None:
        return default
    if type(obj) is dict:
        return cast("dict[str, Any]", obj).get(key, default)
    value = getattr(obj, key, _MISSING)
    if value is not _MISSING:
        return value
    if isinstance(obj, Mapping):
        return cast("Mapping[str, Any]", obj).get(key, default)
    return default


def items(value: Any) -> list[Any]:
    """A list field of a dict or SDK object (absent or None: empty)."""
    if isinstance(value, (list, tuple)):
        return list(cast("list[Any]", value))
    return []


# -- provider ------------------------------------------------------------------------------


def provider_attributes(base_url: object) -> dict[str, Any]:
    """``gen_ai.provider.name`` and ``server.*`` from the client's base URL."""
    parts = urlsplit(str(base_url or ""))
    host = (parts.hostname or "").lower()
    if host == "api.openai.com":
        provider = ProviderName.OPENAI
    elif host.endswith(".openai.azure.com"):
        provider = ProviderName.AZURE_AI_OPENAI
    elif host == "api.deepseek.com":
        provider = ProviderName.DEEPSEEK
    elif host == "api.groq.com":
        provider = ProviderName.GROQ
    elif (
        host.endswith((".databricks.com", ".azuredatabricks.net"))
        or "/serving-endpoints" in parts.path
    ):
        provider = ProviderName.DATABRICKS
    else:  # an OpenAI-compatible server: the protocol is OpenAI's; server.address names it
        provider = ProviderName.OPENAI
    attrs: dict[str, Any] = {G.PROVIDER_NAME: provider}
    if host:
        attrs[ServerAttributes.ADDRESS] = host
        port = parts.port or (
            443 if parts.scheme == "https" else 80 if parts.scheme == "http" else None
        )
        if port is not None:
            attrs[ServerAttributes.PORT] = port
    return attrs


# -- messages --------------------------------------------------------------------------------


def tool_call_arguments(raw: Any) -> Any:
    """Tool-call arguments as an object when they are JSON (the convention asks so)."""
    if isinstance(raw, str):
        try:
            return loads(raw)
        except ValueError:
            return raw
    return raw


def content_parts(content: Any) -> list[dict[str, Any]]:
    """Chat Completions message content (text or a list of typed parts) as GenAI parts."""
    if content is None:
        return []
    if isinstance(content, str):
        return [{"type": "text", "content": content}]
    parts: list[dict[str, Any]] = []
    for item in content if isinstance(content, Iterable) else [content]:  # pyright: ignore[reportUnknownVariableType]
        kind = get(item, "type")
        if kind in ("text", "input_text", "output_text"):
            parts.append({"type": "text", "content": str(get(item, "text", ""))})
        elif kind == "refusal":
            parts.append({"type": "text", "content": str(get(item, "refusal", ""))})
        elif kind == "image_url":
            url = get(get(item, "image_url"), "url")
            parts.append({"type": "uri", "modality": "image", "uri": str(url)})
        elif kind == "input_audio":
            audio = get(item, "input_audio")
            parts.append(
                {
                    "type": "blob",
                    "modality": "audio",
                    "mime_type": f"audio/{get(audio, 'format', 'wav')}",
                    "content": str(get(audio, "data", "")),
                }
            )
        elif kind == "file":
            file_id = get(get(item, "file"), "file_id")
            parts.append({"type": "file", "modality": "file", "file_id": str(file_id)})
        else:
            parts.append({"type": str(kind or "unknown")})
    return parts


def tool_call_part(call_id: Any, name: str, arguments: Any) -> dict[str, Any]:
    """A ``tool_call`` part (the id only when there is one; JSON arguments as an object)."""
    part: dict[str, Any] = {"type": "tool_call", "name": name}
    if call_id is not None:
        part["id"] = call_id
    part["arguments"] = tool_call_arguments(arguments)
    return part


def _tool_call_parts(tool_calls: Any) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    for call in items(tool_calls):
        function = get(call, "function")
        parts.append(
            tool_call_part(
                get(call, "id"), str(get(function, "name", "")), get(function, "arguments")
            )
        )
    return parts


def input_messages(messages: Any) -> list[dict[str, Any]]:
    """Chat Completions ``messages`` in the parts format (system messages included: they
    are part of the chat history)."""
    out: list[dict[str, Any]] = []
    for message in items(messages):
        role = str(get(message, "role", "user"))
        if role == "tool":
            parts: list[dict[str, Any]] = [
                {
                    "type": "tool_call_response",
                    "id": get(message, "tool_call_id"),
                    "response": get(message, "content"),
                }
            ]
        else:
            parts = content_parts(get(message, "content"))
            parts += _tool_call_parts(get(message, "tool_calls"))
        entry: dict[str, Any] = {"role": role, "parts": parts}
        name = get(message, "name")
        if name is not None:
            entry["name"] = name
        out.append(entry)
    return out


def output_messages(choices: Any) -> list[dict[str, Any]]:
    """Response choices in the parts format, one output message per choice."""
    out: list[dict[str, Any]] = []
    for choice in items(choices):
        message = get(choice, "message")
        parts = content_parts(get(message, "content"))
        refusal = get(message, "refusal")
        if refusal:
            parts.append({"type": "text", "content": str(refusal)})
        tool_calls = get(message, "tool_calls")
        if tool_calls:
            parts += _tool_call_parts(tool_calls)
        out.append(
            {
                "role": str(get(message, "role") or "assistant"),
                "parts": parts,
                "finish_reason": str(get(choice, "finish_reason") or "error"),
            }
        )
    return out


def tool_definitions(tools: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for tool in items(tools):
        # Chat Completions nest the function; the Responses API puts it at the top.
        function = get(tool, "function") or (tool if get(tool, "type") == "function" else None)
        if function is None:
            out.append(
                {"type": str(get(tool, "type", "unknown")), "name": str(get(tool, "name", ""))}
            )
            continue
        definition: dict[str, Any] = {"type": "function", "name": str(get(function, "name", ""))}
        description = get(function, "description")
        if description is not None:
            definition["description"] = description
        parameters = get(function, "parameters")
        if parameters is not None:
            definition["parameters"] = parameters
        out.append(definition)
    return out


# -- requests --------------------------------------------------------------------------------


def output_type(response_format: Any) -> str | None:
    kind = get(response_format, "type")
    if kind in ("json_object", "json_schema"):
        return "json"
    if kind == "text":
        return "text"
    if isinstance(response_format, type):  # a pydantic model given to .parse()
        return "json"
    return None


# -- request parameter rules: (attributes so far, the call's kwargs) -> None ------------------

_Rule = Callable[[dict[str, Any], Mapping[str, Any]], None]


def number_rule(key: str, name: str, kind: type[float] | type[int]) -> _Rule:
    """``name`` from the numeric parameter ``key`` (booleans are not numbers here)."""

    def rule(attrs: dict[str, Any], kwargs: Mapping[str, Any]) -> None:
        value = kwargs[key]
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            attrs[name] = kind(value)

    return rule


def _max_tokens(attrs: dict[str, Any], kwargs: Mapping[str, Any]) -> None:
    value = kwargs.get("max_completion_tokens", kwargs.get("max_tokens"))
    if isinstance(value, int):
        attrs[G.REQUEST_MAX_TOKENS] = value


def _choice_count(attrs: dict[str, Any], kwargs: Mapping[str, Any]) -> None:
    n = kwargs["n"]
    if isinstance(n, int) and n != 1:
        attrs[G.REQUEST_CHOICE_COUNT] = n


def _stop(attrs: dict[str, Any], kwargs: Mapping[str, Any]) -> None:
    stop = kwargs["stop"]
    if isinstance(stop, str):
        attrs[G.REQUEST_STOP_SEQUENCES] = [stop]
    elif isinstance(stop, (list, tuple)) and stop:
        attrs[G.REQUEST_STOP_SEQUENCES] = [str(s) for s in items(stop)]


def _response_format(attrs: dict[str, Any], kwargs: Mapping[str, Any]) -> None:
    kind = output_type(kwargs["response_format"])
    if kind is not None:
        attrs[G.OUTPUT_TYPE] = kind


def _stream(attrs: dict[str, Any], kwargs: Mapping[str, Any]) -> None:
    if kwargs["stream"] is True:
        attrs[G.REQUEST_STREAM] = True


_CHAT_RULES: dict[str, _Rule] = {
    **{
        key: number_rule(key, name, kind)
        for key, name, kind in (
            ("temperature", G.REQUEST_TEMPERATURE, float),
            ("top_p", G.REQUEST_TOP_P, float),
            ("frequency_penalty", G.REQUEST_FREQUENCY_PENALTY, float),
            ("presence_penalty", G.REQUEST_PRESENCE_PENALTY, float),
            ("seed", G.REQUEST_SEED, int),
        )
    },
    "max_tokens": _max_tokens,
    "max_completion_tokens": _max_tokens,
    "n": _choice_count,
    "stop": _stop,
    "response_format": _response_format,
    "stream": _stream,
}


def chat_request_attributes(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """Metadata of a chat request (no content)."""
    attrs: dict[str, Any] = {G.OPERATION_NAME: OperationName.CHAT}
    model = kwargs.get("model")
    if model is not None:
        attrs[G.REQUEST_MODEL] = str(model)
    # A call passes a few of the many parameters: look up only those it passed.
    for key in kwargs:
        rule = _CHAT_RULES.get(key)
        if rule is not None:
            rule(attrs, kwargs)
    return attrs


def embeddings_request_attributes(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    attrs: dict[str, Any] = {G.OPERATION_NAME: OperationName.EMBEDDINGS}
    if kwargs.get("model") is not None:
        attrs[G.REQUEST_MODEL] = str(kwargs["model"])
    encoding = kwargs.get("encoding_format")
    if isinstance(encoding, str):
        attrs[G.REQUEST_ENCODING_FORMATS] = [encoding]
    dimensions = kwargs.get("dimensions")
    if isinstance(dimensions, int):
        attrs[G.EMBEDDINGS_DIMENSION_COUNT] = dimensions
    return attrs


# -- responses -------------------------------------------------------------------------------


def usage_attributes(usage: Any) -> dict[str, Any]:
    """Token counts, including cached input and reasoning output tokens."""
    attrs: dict[str, Any] = {}
    if usage is None:
        return attrs
    for keys, name in (
        (("prompt_tokens", "input_tokens"), G.USAGE_INPUT_TOKENS),
        (("completion_tokens", "output_tokens"), G.USAGE_OUTPUT_TOKENS),
    ):
        for key in keys:
            value = get(usage, key)
            if isinstance(value, int):
                attrs[name] = value
                break
    prompt_details = get(usage, "prompt_tokens_details") or get(usage, "input_tokens_details")
    cached = get(prompt_details, "cached_tokens")
    if isinstance(cached, int):
        attrs[G.USAGE_CACHE_READ_INPUT_TOKENS] = cached
    completion_details = get(usage, "completion_tokens_details") or get(
        usage, "output_tokens_details"
    )
    reasoning = get(completion_details, "reasoning_tokens")
    if isinstance(reasoning, int):
        attrs[G.USAGE_REASONING_OUTPUT_TOKENS] = reasoning
    return attrs


def identity_attributes(response: Any) -> dict[str, Any]:
    """``gen_ai.response.id`` and ``.model``, where the response has them."""
    attrs: dict[str, Any] = {}
    response_id = get(response, "id")
    if response_id is not None:
        attrs[G.RESPONSE_ID] = str(response_id)
    model = get(response, "model")
    if model is not None:
        attrs[G.RESPONSE_MODEL] = str(model)
    return attrs


def chat_response_attributes(response: Any) -> dict[str, Any]:
    """Metadata of a chat response (no content); tolerant of missing fields."""
    attrs = identity_attributes(response)
    reasons = [str(get(c, "finish_reason") or "error") for c in items(get(response, "choices"))]
    if reasons:
        attrs[G.RESPONSE_FINISH_REASONS] = reasons
    attrs.update(usage_attributes(get(response, "usage")))
    return attrs


def embeddings_response_attributes(response: Any) -> dict[str, Any]:
    attrs = identity_attributes(response)
    data = items(get(response, "data"))
    if data:
        vector = get(data[0], "embedding")
        if isinstance(vector, list):
            attrs[G.EMBEDDINGS_DIMENSION_COUNT] = len(vector)  # pyright: ignore[reportUnknownArgumentType]
    attrs.update(usage_attributes(get(response, "usage")))
    return attrs
