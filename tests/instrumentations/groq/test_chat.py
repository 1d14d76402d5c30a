"""chat.completions.create: the shared chat contract (whole span, tool round trip, async:
tests/_lib/chat_contract.py), raw responses, errors, Groq's default base URL."""

from __future__ import annotations

from typing import Any

import groq
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from _support import loads
from chat_contract import MESSAGES, ChatCase, ChatContract, assert_failed, dead_port, only_span
from fake_openai import TEXT


def _create(client: Any, **kwargs: Any) -> Any:
    return client.chat.completions.create(**kwargs)


class TestChat(ChatContract):
    case = ChatCase(
        provider="groq",
        chat=_create,
        achat=_create,  # AsyncGroq's create: the same call, awaited
        model="llama-3.3-70b-versatile",
        response_model="llama-3.3-70b-versatile-2024-07-18",
        text=TEXT,
        path="/openai/v1/chat/completions",
    )


def test_with_raw_response(client: Any, exporter: InMemorySpanExporter) -> None:
    raw = client.chat.completions.with_raw_response.create(model="m", messages=MESSAGES)
    assert raw.http_response.status_code == 200
    assert raw.parse().choices[0].message.content == TEXT
    attrs = only_span(exporter).attributes or {}
    assert attrs["gen_ai.response.id"] == "chatcmpl-123"
    assert loads(attrs["gen_ai.output.messages"])[0]["parts"] == [{"type": "text", "content": TEXT}]


@pytest.mark.parametrize(
    ("model", "error"),
    [("error-404", groq.NotFoundError), ("error-500", groq.InternalServerError)],
)
def test_errors_are_recorded_and_reraised_unchanged(
    client: Any, exporter: InMemorySpanExporter, model: str, error: type[Exception]
) -> None:
    with pytest.raises(error) as raised:
        client.chat.completions.create(model=model, messages=MESSAGES)
    assert type(raised.value) is error
    assert_failed(only_span(exporter), error.__name__)


def test_connection_error_is_reraised(autolog: None, exporter: InMemorySpanExporter) -> None:
    port = dead_port()
    client = groq.Groq(api_key="k", base_url=f"http://127.0.0.1:{port}", max_retries=0)
    with pytest.raises(groq.APIConnectionError):
        client.chat.completions.create(model="m", messages=MESSAGES)
    attrs = only_span(exporter).attributes or {}
    assert attrs["error.type"] == "APIConnectionError"
    assert attrs["server.port"] == port


def test_default_base_url_names_groq(autolog: None) -> None:
    from spanwise.instrumentations.groq._patch import CHAT

    client = groq.Groq(api_key="k")  # never sends: only its base URL is read
    assert CHAT.provider_attributes(client.chat.completions, {}) == {
        "gen_ai.provider.name": "groq",
        "server.address": "api.groq.com",
        "server.port": 443,
    }


async def test_async_raw_and_error(async_client: Any, exporter: InMemorySpanExporter) -> None:
    raw = await async_client.chat.completions.with_raw_response.create(model="m", messages=MESSAGES)
    assert (await raw.parse()).choices[0].message.content == TEXT
    with pytest.raises(groq.InternalServerError):
        await async_client.chat.completions.create(model="error-500", messages=MESSAGES)
    ok, failed = exporter.get_finished_spans()
    assert (ok.attributes or {})["gen_ai.usage.output_tokens"] == 9
    assert failed.status.status_code.name == "ERROR"
