"""autolog / instrument switches, the content policy, and the pure extractors."""

from __future__ import annotations

from typing import Any

import openai
import pytest

from spanwise.instrumentations.openai import _extract as x

MESSAGES = [{"role": "user", "content": "secret prompt"}]


@pytest.fixture
def plain_client(fake_server: Any) -> Any:
    return openai.OpenAI(base_url=fake_server.base_url, api_key="k", max_retries=0)


def _create(client: Any) -> Any:
    return client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)


@pytest.mark.parametrize(
    ("base_url", "provider", "address"),
    [
        ("https://api.openai.com/v1", "openai", "api.openai.com"),
        (
            "https://my-res.openai.azure.com/openai/deployments/gpt",
            "azure.ai.openai",
            "my-res.openai.azure.com",
        ),
        ("https://api.deepseek.com", "deepseek", "api.deepseek.com"),
        ("https://api.groq.com/openai/v1", "groq", "api.groq.com"),
        (
            "https://adb-123.4.azuredatabricks.net/serving-endpoints",
            "databricks",
            "adb-123.4.azuredatabricks.net",
        ),
        (
            "https://dbc-1.cloud.databricks.com/serving-endpoints",
            "databricks",
            "dbc-1.cloud.databricks.com",
        ),
        ("https://gateway.internal/serving-endpoints", "databricks", "gateway.internal"),
        ("http://localhost:11434/v1", "openai", "localhost"),
    ],
)
def test_provider_from_base_url(base_url: str, provider: str, address: str) -> None:
    attrs = x.provider_attributes(base_url)
    assert attrs["gen_ai.provider.name"] == provider
    assert attrs["server.address"] == address
    assert isinstance(attrs["server.port"], int)


def test_extractors_on_plain_objects() -> None:
    messages = [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "what is this?"},
                {"type": "image_url", "image_url": {"url": "https://x/cat.png"}},
            ],
        },
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "f", "arguments": "not json"},
                },
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "42"},
    ]
    assert x.input_messages(messages) == [
        {
            "role": "user",
            "parts": [
                {"type": "text", "content": "what is this?"},
                {"type": "uri", "modality": "image", "uri": "https://x/cat.png"},
            ],
        },
        {
            "role": "assistant",
            "parts": [{"type": "tool_call", "name": "f", "id": "c1", "arguments": "not json"}],
        },
        {"role": "tool", "parts": [{"type": "tool_call_response", "id": "c1", "response": "42"}]},
    ]
    assert x.chat_response_attributes({}) == {}
    assert x.usage_attributes({"prompt_tokens": 3}) == {"gen_ai.usage.input_tokens": 3}
    assert x.chat_request_attributes(
        {"model": "m", "stop": "END", "n": 1, "max_completion_tokens": 9}
    ) == {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "m",
        "gen_ai.request.stop_sequences": ["END"],
        "gen_ai.request.max_tokens": 9,
    }
