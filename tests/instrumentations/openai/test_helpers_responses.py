"""parse(), the stream helpers, and the Responses API."""

from __future__ import annotations

import json
from typing import Any

import openai
import pydantic
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import semconv_check
from fake_openai import TEXT

MESSAGES = [{"role": "user", "content": "Weather in Paris?"}]


class Weather(pydantic.BaseModel):
    city: str
    temp_c: int


def _helpers(client: Any) -> Any:
    """Where parse()/stream() live: chat.completions now, beta.chat.completions before."""
    if hasattr(client.chat.completions, "parse"):
        return client.chat.completions
    return client.beta.chat.completions


def _needs_responses(client: Any) -> None:
    if not hasattr(client, "responses"):
        pytest.skip(f"this openai ({openai.__version__}) has no Responses API")


def _attrs(exporter: InMemorySpanExporter) -> dict[str, Any]:
    (span,) = exporter.get_finished_spans()
    attrs = dict(span.attributes or {})
    if semconv_check.available():
        semconv_check.check_attributes(attrs)
    return attrs


def test_chat_parse_is_one_span(client: Any, exporter: InMemorySpanExporter) -> None:
    parsed = _helpers(client).parse(model="gpt-4o-mini", messages=MESSAGES, response_format=Weather)
    assert parsed.choices[0].message.parsed == Weather(city="Paris", temp_c=21)
    attrs = _attrs(exporter)
    assert attrs["gen_ai.output.type"] == "json"
    assert attrs["gen_ai.usage.output_tokens"] == 9
    assert "Paris" in str(attrs["gen_ai.output.messages"])


def test_chat_stream_helper(client: Any, exporter: InMemorySpanExporter) -> None:
    with _helpers(client).stream(model="gpt-4o-mini", messages=MESSAGES) as stream:
        deltas = [e.delta for e in stream if e.type == "content.delta"]
        final = stream.get_final_completion()
    assert "".join(deltas) == TEXT == final.choices[0].message.content
    attrs = _attrs(exporter)
    assert attrs["gen_ai.request.stream"] is True
    assert json.loads(str(attrs["gen_ai.output.messages"]))[0]["parts"][0]["content"] == TEXT


def test_responses_create(client: Any, exporter: InMemorySpanExporter) -> None:
    _needs_responses(client)
    response = client.responses.create(
        model="gpt-4o-mini",
        instructions="Be brief.",
        input="Weather in Paris?",
        max_output_tokens=50,
        tools=[{"type": "function", "name": "get_weather", "parameters": {"type": "object"}}],
    )
    assert response.output_text == TEXT
    attrs = _attrs(exporter)
    assert attrs["gen_ai.operation.name"] == "chat"
    assert attrs["gen_ai.request.max_tokens"] == 50
    assert attrs["gen_ai.response.id"] == "resp_123"
    assert attrs["gen_ai.response.finish_reasons"] == ("stop",)
    assert attrs["gen_ai.usage.cache_read.input_tokens"] == 4
    assert json.loads(str(attrs["gen_ai.system_instructions"])) == [
        {"type": "text", "content": "Be brief."}
    ]
    assert json.loads(str(attrs["gen_ai.input.messages"])) == [
        {"role": "user", "parts": [{"type": "text", "content": "Weather in Paris?"}]}
    ]
    assert json.loads(str(attrs["gen_ai.tool.definitions"])) == [
        {"type": "function", "name": "get_weather", "parameters": {"type": "object"}}
    ]


def test_responses_streaming_and_helper(client: Any, exporter: InMemorySpanExporter) -> None:
    _needs_responses(client)
    events = list(client.responses.create(model="gpt-4o-mini", input="hi", stream=True))
    assert events[-1].type == "response.completed"
    with client.responses.stream(model="gpt-4o-mini", input="hi") as stream:
        text = "".join(e.delta for e in stream if e.type == "response.output_text.delta")
        final = stream.get_final_response()
    assert text == TEXT == final.output_text
    streamed, helper = exporter.get_finished_spans()
    for span in (streamed, helper):
        attrs = dict(span.attributes or {})
        assert attrs["gen_ai.usage.input_tokens"] == 12
        assert json.loads(str(attrs["gen_ai.output.messages"]))[0]["parts"][0]["content"] == TEXT


def test_responses_parse(client: Any, exporter: InMemorySpanExporter) -> None:
    _needs_responses(client)
    parsed = client.responses.parse(model="gpt-4o-mini", input="Weather?", text_format=Weather)
    assert parsed.output_parsed == Weather(city="Paris", temp_c=21)
    assert _attrs(exporter)["gen_ai.output.type"] == "json"


async def test_async_responses(async_client: Any, exporter: InMemorySpanExporter) -> None:
    _needs_responses(async_client)
    response = await async_client.responses.create(model="gpt-4o-mini", input="hi")
    assert response.output_text == TEXT
    stream = await async_client.responses.create(model="gpt-4o-mini", input="hi", stream=True)
    async for _ in stream:
        pass
    plain, streamed = exporter.get_finished_spans()
    assert (
        plain.attributes["gen_ai.response.id"]
        == streamed.attributes["gen_ai.response.id"]
        == "resp_123"
    )  # type: ignore[index]
    assert streamed.attributes["gen_ai.response.time_to_first_chunk"] > 0  # type: ignore[index,operator]


@pytest.mark.parametrize("bad", [None, [], {"type": "unknown"}])
def test_odd_inputs_never_break_extraction(bad: Any) -> None:
    from spanwise.instrumentations.openai import _extract_responses as x

    assert isinstance(x.responses_input_messages(bad), list)
    assert x.responses_response_attributes(bad) == {}
