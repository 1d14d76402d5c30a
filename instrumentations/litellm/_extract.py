"""Pure extraction: a LiteLLM call -> attributes, where it was routed -> attributes.

LiteLLM speaks the Chat Completions format whatever provider it calls: requests and
responses (``ModelResponse``, ``EmbeddingResponse``) are read by the core's Chat
Completions extractors and OpenAI's embeddings extractors. What is LiteLLM's own is here:
the positional arguments of its functions, the ``provider/model`` names it routes by, its
provider names in the conventions' words, and where it says it sent the call
(``_hidden_params``, an exception's ``llm_provider``). No span, no patching.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, cast

from spanwise.semconv import GenAIAttributes as G

from .._chat_completions import chat_request_attributes
from .._provider_names import provider_name
from .._stainless import server_attributes
from ..openai._extract import embeddings_request_attributes

__all__ = [
    "call_kwargs",
    "chat_request_attributes",
    "embeddings_request_attributes",
    "provider_name",
    "request_attributes",
    "routed_attributes",
    "split_model",
]

# The positional parameters of the traced functions, in order (the rest are keywords).
_POSITIONAL = {"chat": ("model", "messages"), "embeddings": ("model", "input")}


def call_kwargs(operation: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    """The call's arguments by name (``completion("gpt-4o", messages)`` names both)."""
    if not args:
        return kwargs
    return {**dict(zip(_POSITIONAL[operation], args, strict=False)), **kwargs}


def split_model(
    model: str, custom_llm_provider: object, known: Collection[str]
) -> tuple[str, str | None]:
    """``(model as asked minus the provider prefix, LiteLLM's provider or None)``.

    ``openai/gpt-4o-mini`` is ``("gpt-4o-mini", "openai")``; ``bedrock/anthropic.claude-v2``
    is ``("anthropic.claude-v2", "bedrock")``; a ``custom_llm_provider=`` argument names
    the provider (a prefix naming it is stripped as LiteLLM strips it); a bare name
    (``gpt-4o-mini``) or an unknown prefix stays whole, its provider learnt from where
    LiteLLM routed it (:func:`routed_attributes`)."""
    prefix, slash, rest = model.partition("/")
    if isinstance(custom_llm_provider, str) and custom_llm_provider:
        return (rest if slash and prefix == custom_llm_provider else model), custom_llm_provider
    if slash and rest and prefix in known:
        return rest, prefix
    return model, None


def request_attributes(
    operation: str, kwargs: Mapping[str, Any], known: Collection[str]
) -> tuple[str, dict[str, Any]]:
    """``(request model, metadata of the request)``: the request parameters, the provider
    when the model name or ``custom_llm_provider`` says it, ``server.*`` from
    ``api_base``/``base_url``."""
    model, provider = split_model(
        str(kwargs.get("model") or ""), kwargs.get("custom_llm_provider"), known
    )
    named = {**kwargs, "model": model}
    if operation == "chat":
        attrs = chat_request_attributes(named)
    else:
        attrs = embeddings_request_attributes(named)
    if provider is not None:
        attrs[G.PROVIDER_NAME] = provider_name(provider)
    base = kwargs.get("api_base") or kwargs.get("base_url")
    if isinstance(base, str):
        attrs.update(server_attributes(base)[1])
    return model, attrs


def routed_attributes(hidden_params: Any, litellm_provider: Any = None) -> dict[str, Any]:
    """Where LiteLLM sent the call, as it reports it on a response or stream
    (``_hidden_params``: ``custom_llm_provider``, ``api_base``) or an exception
    (``llm_provider``)."""
    attrs: dict[str, Any] = {}
    hidden: Mapping[str, Any] = (
        cast("Mapping[str, Any]", hidden_params) if isinstance(hidden_params, Mapping) else {}
    )
    provider = hidden.get("custom_llm_provider") or litellm_provider
    if isinstance(provider, str) and provider:
        attrs[G.PROVIDER_NAME] = provider_name(provider)
    base = hidden.get("api_base")
    if isinstance(base, str):
        attrs.update(server_attributes(base)[1])
    return attrs
