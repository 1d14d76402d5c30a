"""Pure extraction: OpenAI request -> attributes, response -> attributes.

No span, no patching: plain objects in (the call's kwargs, the SDK's response objects or
dicts), attribute dicts out, so every rule is testable without a network. What is the
Chat Completions format (chat requests and responses, usage) is the shared core's
``_chat_completions`` (named here too); what is OpenAI's own is here: provider naming
from the base URL, embeddings.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from spanwise.model._chat_format import (
    content_parts,
    input_messages,
    output_messages,
    tool_call_part,
    tool_definitions,
)
from spanwise.semconv import GenAIAttributes as G
from spanwise.semconv import OperationName, ProviderName

from .._chat_completions import (
    chat_request_attributes,
    chat_response_attributes,
    output_type,
    usage_attributes,
)
from .._extract import get, identity_attributes, items, number_rule, tool_call_arguments
from .._stainless import ProviderCache

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


# -- provider ------------------------------------------------------------------------------


def provider_name(host: str, path: str) -> str:
    """``gen_ai.provider.name`` of an OpenAI client's base URL host and path."""
    if host == "api.openai.com":
        return ProviderName.OPENAI
    if host.endswith(".openai.azure.com"):
        return ProviderName.AZURE_AI_OPENAI
    if host == "api.deepseek.com":
        return ProviderName.DEEPSEEK
    if host == "api.groq.com":
        return ProviderName.GROQ
    if host.endswith((".databricks.com", ".azuredatabricks.net")) or "/serving-endpoints" in path:
        return ProviderName.DATABRICKS
    # An OpenAI-compatible server: the protocol is OpenAI's; server.address names it.
    return ProviderName.OPENAI


PROVIDERS = ProviderCache(provider_name)


def provider_attributes(base_url: object) -> dict[str, Any]:
    """``gen_ai.provider.name`` and ``server.*`` from the client's base URL."""
    return PROVIDERS.attributes(base_url)


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


def embeddings_response_attributes(response: Any) -> dict[str, Any]:
    attrs = identity_attributes(response)
    data = items(get(response, "data"))
    if data:
        vector = get(data[0], "embedding")
        if isinstance(vector, list):
            attrs[G.EMBEDDINGS_DIMENSION_COUNT] = len(vector)  # pyright: ignore[reportUnknownArgumentType]
    attrs.update(usage_attributes(get(response, "usage")))
    return attrs
