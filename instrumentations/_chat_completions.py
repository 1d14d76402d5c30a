"""The Chat Completions format, shared: request -> attributes, response -> attributes.

OpenAI's ``chat.completions.create`` is spoken by OpenAI, Groq and every OpenAI-compatible
server alike: the same keyword arguments in, the same ``choices``/``usage`` out. Its
parameter rules and response metadata are here, once; the messages' conversion to the
parts format is ``model/_chat_format.py``'s, the stream accumulation ``_chat_stream``'s and
the operation on the Stainless layer ``_stainless.ChatCompletionsOperation``. A library
adds only what is its own (its provider naming, its targets, fields of its own).
No span, no patching.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from spanwise.semconv import GenAIAttributes as G
from spanwise.semconv import OperationName

from ._extract import (
    Rule,
    apply_rules,
    get,
    identity_attributes,
    items,
    number_rule,
    stop_rule,
    stream_rule,
)

__all__ = [
    "chat_request_attributes",
    "chat_response_attributes",
    "output_type",
    "usage_attributes",
]


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


def _max_tokens(attrs: dict[str, Any], kwargs: Mapping[str, Any]) -> None:
    value = kwargs.get("max_completion_tokens", kwargs.get("max_tokens"))
    if isinstance(value, int):
        attrs[G.REQUEST_MAX_TOKENS] = value


def _choice_count(attrs: dict[str, Any], kwargs: Mapping[str, Any]) -> None:
    n = kwargs["n"]
    if isinstance(n, int) and n != 1:
        attrs[G.REQUEST_CHOICE_COUNT] = n


def _response_format(attrs: dict[str, Any], kwargs: Mapping[str, Any]) -> None:
    kind = output_type(kwargs["response_format"])
    if kind is not None:
        attrs[G.OUTPUT_TYPE] = kind


_CHAT_RULES: dict[str, Rule] = {
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
    "stop": stop_rule("stop"),
    "response_format": _response_format,
    "stream": stream_rule,
}


def chat_request_attributes(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """Metadata of a chat request (no content)."""
    attrs: dict[str, Any] = {G.OPERATION_NAME: OperationName.CHAT}
    model = kwargs.get("model")
    if model is not None:
        attrs[G.REQUEST_MODEL] = str(model)
    apply_rules(attrs, kwargs, _CHAT_RULES)
    return attrs


# -- responses -------------------------------------------------------------------------------


def usage_attributes(usage: Any) -> dict[str, Any]:
    """Token counts, including cached input and reasoning output tokens (the Responses
    API's names too)."""
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
    # Cache writes: LiteLLM reports them (from Anthropic, Bedrock...) beside the usage.
    written = get(usage, "cache_creation_input_tokens")
    if isinstance(written, int) and written:
        attrs[G.USAGE_CACHE_CREATION_INPUT_TOKENS] = written
    completion_details = get(usage, "completion_tokens_details") or get(
        usage, "output_tokens_details"
    )
    reasoning = get(completion_details, "reasoning_tokens")
    if isinstance(reasoning, int):
        attrs[G.USAGE_REASONING_OUTPUT_TOKENS] = reasoning
    return attrs


def chat_response_attributes(response: Any) -> dict[str, Any]:
    """Metadata of a chat response (no content); tolerant of missing fields."""
    attrs = identity_attributes(response)
    reasons = [str(get(c, "finish_reason") or "error") for c in items(get(response, "choices"))]
    if reasons:
        attrs[G.RESPONSE_FINISH_REASONS] = reasons
    attrs.update(usage_attributes(get(response, "usage")))
    return attrs
