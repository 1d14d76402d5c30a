"""Pure extraction: LiteLLM's model names, provider names, arguments and routing reports
to attributes (plain values in, no network)."""

from __future__ import annotations

from typing import Any

import pytest

from spanwise.instrumentations.litellm import _extract as x

KNOWN = frozenset({"openai", "anthropic", "bedrock", "azure", "openrouter", "vertex_ai", "ollama"})


@pytest.mark.parametrize(
    ("model", "custom", "expected"),
    [
        ("openai/gpt-4o-mini", None, ("gpt-4o-mini", "openai")),
        ("bedrock/anthropic.claude-v2", None, ("anthropic.claude-v2", "bedrock")),
        ("openrouter/anthropic/claude-3.5", None, ("anthropic/claude-3.5", "openrouter")),
        ("gpt-4o-mini", None, ("gpt-4o-mini", None)),  # provider learnt from the response
        ("my-org/my-model", None, ("my-org/my-model", None)),  # not a provider prefix
        ("openai/", None, ("openai/", None)),
        ("gpt-x", "openai", ("gpt-x", "openai")),
        ("openai/gpt-x", "openai", ("gpt-x", "openai")),
        ("meta/llama", "ollama", ("meta/llama", "ollama")),  # the prefix is the model's own
    ],
)
def test_split_model(model: str, custom: Any, expected: tuple[str, str | None]) -> None:
    assert x.split_model(model, custom, KNOWN) == expected


@pytest.mark.parametrize(
    ("litellm_name", "expected"),
    [
        ("openai", "openai"),
        ("azure", "azure.ai.openai"),
        ("azure_ai", "azure.ai.inference"),
        ("anthropic", "anthropic"),
        ("bedrock", "aws.bedrock"),
        ("vertex_ai", "gcp.vertex_ai"),
        ("gemini", "gcp.gemini"),
        ("mistral", "mistral_ai"),
        ("groq", "groq"),
        ("xai", "x_ai"),
        ("watsonx", "ibm.watsonx.ai"),
        ("openrouter", "openrouter"),  # unknown to the conventions: as LiteLLM names it
    ],
)
def test_provider_name(litellm_name: str, expected: str) -> None:
    assert x.provider_name(litellm_name) == expected


def test_call_kwargs_names_positional_arguments() -> None:
    messages = [{"role": "user", "content": "hi"}]
    assert x.call_kwargs("chat", ("gpt-4o", messages), {"temperature": 0.1}) == {
        "model": "gpt-4o",
        "messages": messages,
        "temperature": 0.1,
    }
    assert x.call_kwargs("embeddings", ("m",), {"input": ["a"]}) == {"model": "m", "input": ["a"]}
    kwargs = {"model": "m"}
    assert x.call_kwargs("chat", (), kwargs) is kwargs  # nothing copied on the usual path


def test_request_attributes() -> None:
    model, attrs = x.request_attributes(
        "chat",
        {
            "model": "azure/my-deployment",
            "messages": [],
            "api_base": "https://me.openai.azure.com/",
            "api_key": "sk-secret-0123456789",
            "max_tokens": 64,
            "stream": True,
        },
        KNOWN,
    )
    assert model == "my-deployment"
    assert attrs == {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "my-deployment",
        "gen_ai.request.max_tokens": 64,
        "gen_ai.request.stream": True,
        "gen_ai.provider.name": "azure.ai.openai",
        "server.address": "me.openai.azure.com",
        "server.port": 443,
    }
    model, attrs = x.request_attributes(
        "embeddings", {"model": "text-embedding-3-small", "dimensions": 256}, KNOWN
    )
    assert attrs == {
        "gen_ai.operation.name": "embeddings",
        "gen_ai.request.model": "text-embedding-3-small",
        "gen_ai.embeddings.dimension.count": 256,
    }


def test_routed_attributes() -> None:
    hidden = {"custom_llm_provider": "bedrock", "api_base": "https://user:pw@bedrock.aws:8443/x"}
    assert x.routed_attributes(hidden) == {
        "gen_ai.provider.name": "aws.bedrock",
        "server.address": "bedrock.aws",  # never the URL's credentials
        "server.port": 8443,
    }
    assert x.routed_attributes({}, "anthropic") == {"gen_ai.provider.name": "anthropic"}
    assert x.routed_attributes(None, "") == {}
    assert x.routed_attributes("not a mapping", None) == {}
