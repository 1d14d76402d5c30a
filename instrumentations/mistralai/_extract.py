"""Pure extraction: Mistral chat and embeddings requests -> attributes, responses ->
attributes.

No span, no patching: the call's kwargs and the SDK's response objects (or dicts) in,
attribute dicts and GenAI parts out. Mistral's messages are the Chat Completions format
(``model/_chat_format.py`` converts them, Mistral's chunk types included); the SDK's own
message objects are read through ``model_dump()``, which leaves out the fields it marks
as unset. Finish reasons are the conventions' (``tool_calls`` -> ``tool_call``,
``model_length`` -> ``length``) in the output messages, Mistral's own in
``gen_ai.response.finish_reasons``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from spanwise.model._chat_format import input_messages as chat_input_messages
from spanwise.model._chat_format import output_messages as chat_output_messages
from spanwise.model._chat_format import tool_definitions as chat_tool_definitions
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
)
from .._invocation import CHAT, EMBEDDINGS
from .._stainless import ProviderCache

__all__ = [
    "DEFAULT_EMBEDDINGS_MODEL",
    "PROVIDERS",
    "chat_request_attributes",
    "chat_response_attributes",
    "embeddings_request_attributes",
    "embeddings_response_attributes",
    "finish_reason",
    "input_messages",
    "output_messages",
    "plain",
    "tool_definitions",
    "usage_attributes",
]

DEFAULT_SERVER = "https://api.mistral.ai"  # the SDK's own default (``SERVERS["eu"]``)
DEFAULT_EMBEDDINGS_MODEL = "mistral-embed"  # sent by 1.x SDKs when no model is given


def _provider_name(host: str, path: str) -> str:
    return ProviderName.MISTRAL_AI


PROVIDERS = ProviderCache(_provider_name)


def server_url(instance: Any, kwargs: Mapping[str, Any]) -> Any:
    """The base URL a call goes to: its ``server_url`` argument, else the client's."""
    url = kwargs.get("server_url")
    if url:
        return url
    config = getattr(instance, "sdk_configuration", None)
    return getattr(config, "server_url", None) or DEFAULT_SERVER


def _message(message: Any) -> Any:
    """A message as a dict; an empty text beside tool calls is no content (the API sends
    ``""``), not an empty text part."""
    message = plain(message)
    if get(message, "content") == "" and get(message, "tool_calls"):
        return {**cast("dict[str, Any]", message), "content": None}
    return message


def plain(value: Any) -> Any:
    """An SDK model as a dict of the fields it set (dicts and the rest as they are)."""
    if type(value) is dict or isinstance(value, (str, list)):
        return value  # pyright: ignore[reportUnknownVariableType]
    dump = getattr(value, "model_dump", None)
    return dump() if callable(dump) and not isinstance(value, type) else value


# -- requests ----------------------------------------------------------------------------


def _choice_count(attrs: dict[str, Any], kwargs: Mapping[str, Any]) -> None:
    n = kwargs["n"]
    if isinstance(n, int) and not isinstance(n, bool) and n != 1:
        attrs[G.REQUEST_CHOICE_COUNT] = n


def _response_format(attrs: dict[str, Any], kwargs: Mapping[str, Any]) -> None:
    kind = get(kwargs["response_format"], "type")
    if kind in ("json_object", "json_schema"):
        attrs[G.OUTPUT_TYPE] = "json"
    elif kind == "text":
        attrs[G.OUTPUT_TYPE] = "text"


_CHAT_RULES: dict[str, Rule] = {
    "max_tokens": int_rule("max_tokens", G.REQUEST_MAX_TOKENS),
    "temperature": number_rule("temperature", G.REQUEST_TEMPERATURE, float),
    "top_p": number_rule("top_p", G.REQUEST_TOP_P, float),
    "top_k": number_rule("top_k", G.REQUEST_TOP_K, float),
    "presence_penalty": number_rule("presence_penalty", G.REQUEST_PRESENCE_PENALTY, float),
    "frequency_penalty": number_rule("frequency_penalty", G.REQUEST_FREQUENCY_PENALTY, float),
    "random_seed": int_rule("random_seed", G.REQUEST_SEED),
    "stop": stop_rule("stop"),
    "n": _choice_count,
    "response_format": _response_format,
}


def chat_request_attributes(kwargs: Mapping[str, Any], *, stream: bool) -> dict[str, Any]:
    """Metadata of a chat request (no content); ``stream``: made by a stream method."""
    attrs = CHAT.attributes(kwargs.get("model"))
    apply_rules(attrs, kwargs, _CHAT_RULES)
    if stream:
        attrs[G.REQUEST_STREAM] = True
    return attrs


def embeddings_request_attributes(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    attrs = EMBEDDINGS.attributes(kwargs.get("model") or DEFAULT_EMBEDDINGS_MODEL)
    encoding = kwargs.get("encoding_format")
    if isinstance(encoding, str):
        attrs[G.REQUEST_ENCODING_FORMATS] = [encoding]
    dimensions = kwargs.get("output_dimension")
    if isinstance(dimensions, int) and not isinstance(dimensions, bool):
        attrs[G.EMBEDDINGS_DIMENSION_COUNT] = dimensions
    return attrs


# -- content ---------------------------------------------------------------------------------


def input_messages(messages: Any) -> list[parts.ChatMessage]:
    """The request's ``messages`` (system messages included, as in the chat history)."""
    return chat_input_messages([_message(m) for m in items(messages)])


def tool_definitions(tools: Any) -> list[dict[str, Any]]:
    return chat_tool_definitions([plain(t) for t in items(tools)])


# -- responses -------------------------------------------------------------------------------

_FINISH = {"tool_calls": "tool_call", "model_length": "length"}


def finish_reason(reason: Any) -> str:
    """The conventions' finish reason for Mistral's (none: ``error``)."""
    if not reason:
        return "error"
    return _FINISH.get(str(reason), str(reason))


def usage_attributes(usage: Any) -> dict[str, Any]:
    """Token counts, with cached input tokens where the API reports them."""
    attrs: dict[str, Any] = {}
    if not usage:
        return attrs
    for key, name in (
        ("prompt_tokens", G.USAGE_INPUT_TOKENS),
        ("completion_tokens", G.USAGE_OUTPUT_TOKENS),
    ):
        value = get(usage, key)
        if isinstance(value, int) and not isinstance(value, bool):
            attrs[name] = value
    cached = get(get(usage, "prompt_tokens_details"), "cached_tokens")
    if isinstance(cached, int) and not isinstance(cached, bool):
        attrs[G.USAGE_CACHE_READ_INPUT_TOKENS] = cached
    return attrs


def chat_response_attributes(response: Any) -> dict[str, Any]:
    """Metadata of a chat response (no content); tolerant of missing fields."""
    attrs = identity_attributes(response)
    reasons = [str(get(c, "finish_reason") or "error") for c in items(get(response, "choices"))]
    if reasons:
        attrs[G.RESPONSE_FINISH_REASONS] = reasons
    attrs.update(usage_attributes(get(response, "usage")))
    return attrs


def output_messages(choices: Any) -> list[parts.OutputMessage]:
    """Response choices in the parts format, one output message per choice."""
    plain_choices = [
        {"message": _message(get(c, "message")), "finish_reason": get(c, "finish_reason")}
        for c in items(choices)
    ]
    out = chat_output_messages(plain_choices)
    for message, choice in zip(out, plain_choices, strict=True):
        message["finish_reason"] = finish_reason(choice["finish_reason"])
    return out


def embeddings_response_attributes(response: Any) -> dict[str, Any]:
    attrs = identity_attributes(response)
    data = items(get(response, "data"))
    if data:
        vector = get(data[0], "embedding")
        if isinstance(vector, list):
            attrs[G.EMBEDDINGS_DIMENSION_COUNT] = len(vector)  # pyright: ignore[reportUnknownArgumentType]
    attrs.update(usage_attributes(get(response, "usage")))
    return attrs
