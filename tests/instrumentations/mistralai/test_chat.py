"""chat.complete and embeddings.create: the shared chat contract (whole span, tool round
trip with SDK message objects, async: tests/_lib/chat_contract.py), reasoning, images,
errors, embeddings, async twins."""

from __future__ import annotations

from typing import Any

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from _support import loads, span_dict
from chat_contract import MESSAGES, ChatCase, ChatContract, assert_failed, dead_port, only_span
from fake_mistral import EMBEDDINGS_ID, RESPONSE_ID, TEXT, THINKING, TOOL_CALL_ID


def _complete(client: Any, seed: int | None = None, **kwargs: Any) -> Any:
    return client.chat.complete(**kwargs, **({} if seed is None else {"random_seed": seed}))


async def _complete_async(client: Any, **kwargs: Any) -> Any:
    return await client.chat.complete_async(**kwargs)


class TestChat(ChatContract):
    case = ChatCase(
        provider="mistral_ai",
        chat=_complete,
        achat=_complete_async,
        model="mistral-small-latest",
        response_model="mistral-small-latest",
        text=TEXT,
        path="/v1/chat/completions",
        response_id=RESPONSE_ID,
        usage_details={},
        tool_call_id=TOOL_CALL_ID,
        # Mistral's own finish reason; the empty text the API sends beside a tool call is
        # not a part.
        tool_finish_reason="tool_call",
        assistant_turn=lambda message: message,  # the SDK's own AssistantMessage, as in its docs
        tool_turn={"name": "get_weather"},
    )


def test_thinking_chunks_are_reasoning_parts(
    client: Any, sdk: Any, exporter: InMemorySpanExporter
) -> None:
    if not hasattr(sdk.models, "ThinkChunk"):
        pytest.skip("this mistralai cannot read thinking chunks")
    client.chat.complete(model="magistral", messages=MESSAGES)
    (message,) = loads(only_span(exporter).attributes["gen_ai.output.messages"])  # type: ignore[index]
    assert message["parts"] == [
        {"type": "reasoning", "content": THINKING},
        {"type": "text", "content": TEXT},
    ]


def test_sdk_message_objects_images_and_documents(
    client: Any, sdk: Any, exporter: InMemorySpanExporter
) -> None:
    m = sdk.models
    if not hasattr(m, "DocumentURLChunk"):
        pytest.skip("this mistralai has no document_url chunks")
    client.chat.complete(
        model="pixtral",
        messages=[
            m.SystemMessage(content="Describe."),
            m.UserMessage(
                content=[
                    {"type": "text", "text": "What are these?"},
                    {"type": "image_url", "image_url": "https://example.com/cat.jpg"},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBO"}},
                    {"type": "document_url", "document_url": "https://example.com/a.pdf"},
                ]
            ),
        ],
    )
    attrs = only_span(exporter).attributes or {}
    system, user = loads(attrs["gen_ai.input.messages"])
    assert system == {"role": "system", "parts": [{"type": "text", "content": "Describe."}]}
    assert user["parts"] == [
        {"type": "text", "content": "What are these?"},
        {"type": "uri", "modality": "image", "uri": "https://example.com/cat.jpg"},
        {"type": "uri", "modality": "image", "uri": "data:image/png;base64,iVBO"},
        {"type": "uri", "modality": "file", "uri": "https://example.com/a.pdf"},
    ]


@pytest.mark.parametrize(
    ("model", "status"),
    [("error-400", 400), ("error-401", 401), ("error-429", 429), ("error-500", 500)],
)
def test_errors_are_recorded_and_reraised_unchanged(
    client: Any, sdk: Any, exporter: InMemorySpanExporter, model: str, status: int
) -> None:
    with pytest.raises(sdk.SDKError) as raised:
        client.chat.complete(model=model, messages=MESSAGES)
    assert type(raised.value) is sdk.SDKError
    assert raised.value.status_code == status
    assert_failed(only_span(exporter), "SDKError")


def test_validation_error(client: Any, sdk: Any, exporter: InMemorySpanExporter) -> None:
    with pytest.raises(sdk.HTTPValidationError) as raised:
        client.chat.complete(model="error-422", messages=MESSAGES)
    assert type(raised.value) is sdk.HTTPValidationError
    assert (only_span(exporter).attributes or {})["error.type"] == "HTTPValidationError"


def test_connection_error_is_reraised(sdk: Any, autolog: None, exporter: Any) -> None:
    port = dead_port()
    client = sdk.Mistral(api_key="k", server_url=f"http://127.0.0.1:{port}")
    with pytest.raises(Exception) as raised:
        client.chat.complete(model="m", messages=MESSAGES)
    span = only_span(exporter)
    assert (span.attributes or {})["error.type"] == type(raised.value).__qualname__
    assert (span.attributes or {})["server.port"] == port


def test_server_url_of_the_call(
    sdk: Any, fake_server: Any, autolog: None, exporter: InMemorySpanExporter
) -> None:
    client = sdk.Mistral(api_key="k")  # the default server: api.mistral.ai, never reached
    client.chat.complete(model="m", messages=MESSAGES, server_url=fake_server.base_url)
    attrs = only_span(exporter).attributes or {}
    assert attrs["server.address"] == "127.0.0.1"
    assert attrs["server.port"] == fake_server.port


def test_parse_is_one_span(client: Any, sdk: Any, exporter: InMemorySpanExporter) -> None:
    if not hasattr(sdk.Chat, "parse"):
        pytest.skip("this mistralai has no chat.parse")
    from pydantic import BaseModel

    class Weather(BaseModel):
        city: str

    with pytest.raises(Exception):  # noqa: B017 - the fake answers text, not the schema
        client.chat.parse(response_format=Weather, model="m", messages=MESSAGES)
    attrs = only_span(exporter).attributes or {}
    assert attrs["gen_ai.output.type"] == "json"
    assert attrs["gen_ai.response.id"] == RESPONSE_ID


def test_embeddings(client: Any, exporter: InMemorySpanExporter, fake_server: Any) -> None:
    response = client.embeddings.create(model="mistral-embed", inputs=["a", "b"])
    assert len(response.data) == 2
    assert span_dict(only_span(exporter))["attributes"] == {
        "spanwise.span.type": "EMBEDDING",
        "gen_ai.operation.name": "embeddings",
        "gen_ai.request.model": "mistral-embed",
        "gen_ai.provider.name": "mistral_ai",
        "server.address": "127.0.0.1",
        "server.port": fake_server.port,
        "gen_ai.response.id": EMBEDDINGS_ID,
        "gen_ai.response.model": "mistral-embed",
        "gen_ai.embeddings.dimension.count": 8,
        "gen_ai.usage.input_tokens": 6,
        "gen_ai.usage.output_tokens": 0,
    }
    assert only_span(exporter).name == "embeddings mistral-embed"


async def test_async_error(client: Any, sdk: Any, exporter: InMemorySpanExporter) -> None:
    with pytest.raises(sdk.SDKError):
        await client.chat.complete_async(model="error-500", messages=MESSAGES)
    assert only_span(exporter).status.status_code.name == "ERROR"


async def test_async_embeddings(client: Any, exporter: InMemorySpanExporter) -> None:
    import inspect

    if "output_dimension" in inspect.signature(client.embeddings.create_async).parameters:
        kwargs: dict[str, Any] = {"model": "mistral-embed", "inputs": "a", "output_dimension": 4}
    else:  # older SDKs send their default model when none is given: the span names it
        kwargs = {"inputs": "a"}
    await client.embeddings.create_async(**kwargs)
    span = only_span(exporter)
    assert span.name == "embeddings mistral-embed"
    attrs = span.attributes or {}
    assert attrs["gen_ai.embeddings.dimension.count"] == kwargs.get("output_dimension", 8)
    assert attrs["gen_ai.usage.input_tokens"] == 3
