"""messages.create: whole spans, tools, thinking, images, errors, raw responses, beta."""

from __future__ import annotations

import json
from typing import Any

import anthropic
import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import semconv_check
from _support import loads, span_dict
from fake_anthropic import SIGNATURE, TEXT, THINKING, TOOL_USE_ID

MESSAGES = [{"role": "user", "content": "Weather in Paris?"}]
TOOLS = [
    {
        "name": "get_weather",
        "description": "The weather in a city",
        "input_schema": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    }
]
COMPACT = {"separators": (",", ":")}


def _only(exporter: InMemorySpanExporter) -> ReadableSpan:
    (span,) = exporter.get_finished_spans()
    if semconv_check.available():
        semconv_check.check_attributes(dict(span.attributes or {}))
    return span


def _sdk_supports(name: str) -> bool:
    import inspect

    return name in inspect.signature(anthropic.resources.messages.Messages.create).parameters


def test_whole_span(client: Any, exporter: InMemorySpanExporter, fake_server: Any) -> None:
    response = client.messages.create(
        model="claude-sonnet-4-5",
        max_tokens=256,
        system="You are terse.",
        messages=MESSAGES,
        stop_sequences=["\n\nHuman:"],
        # Recent SDKs take these only through extra_body; they are request parameters all
        # the same.
        extra_body={"temperature": 0.2, "top_p": 0.9, "top_k": 5},
    )
    assert isinstance(response, anthropic.types.Message)
    assert span_dict(_only(exporter)) == {
        "name": "chat claude-sonnet-4-5",
        "kind": "CLIENT",
        "trace_id": 1,
        "span_id": 1,
        "parent_id": None,
        "status": "UNSET",
        "attributes": {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": "anthropic",
            "gen_ai.request.model": "claude-sonnet-4-5",
            "gen_ai.request.max_tokens": 256,
            "gen_ai.request.temperature": 0.2,
            "gen_ai.request.top_p": 0.9,
            "gen_ai.request.top_k": 5.0,
            "gen_ai.request.stop_sequences": ("\n\nHuman:",),
            "server.address": "127.0.0.1",
            "server.port": fake_server.port,
            "spanwise.span.type": "CHAT_MODEL",
            "gen_ai.system_instructions": '[{"type":"text","content":"You are terse."}]',
            "gen_ai.input.messages": json.dumps(
                [{"role": "user", "parts": [{"type": "text", "content": "Weather in Paris?"}]}],
                **COMPACT,
            ),
            "gen_ai.response.id": "msg_01FakeAnthropicMessage01",
            "gen_ai.response.model": "claude-sonnet-4-5",
            "gen_ai.response.finish_reasons": ("end_turn",),
            # input_tokens counts cache reads (4) and writes (3): 12 + 4 + 3
            "gen_ai.usage.input_tokens": 19,
            "gen_ai.usage.cache_read.input_tokens": 4,
            "gen_ai.usage.cache_creation.input_tokens": 3,
            "gen_ai.usage.output_tokens": 9,
            "gen_ai.output.messages": json.dumps(
                [
                    {
                        "role": "assistant",
                        "parts": [{"type": "text", "content": TEXT}],
                        "finish_reason": "stop",
                    }
                ],
                **COMPACT,
            ),
        },
    }


def test_tool_use_and_tool_results(client: Any, exporter: InMemorySpanExporter) -> None:
    first = client.messages.create(model="claude-x", max_tokens=64, messages=MESSAGES, tools=TOOLS)
    (call,) = [b for b in first.content if b.type == "tool_use"]
    history = [
        *MESSAGES,
        {"role": "assistant", "content": [b.model_dump() for b in first.content]},
        {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": call.id,
                    "content": [{"type": "text", "text": "21 C, sunny"}],
                }
            ],
        },
    ]
    client.messages.create(model="claude-x", max_tokens=64, messages=history, tools=TOOLS)
    asked, answered = exporter.get_finished_spans()
    attrs = asked.attributes or {}
    assert attrs["gen_ai.response.finish_reasons"] == ("tool_use",)
    assert loads(attrs["gen_ai.tool.definitions"]) == [
        {
            "type": "function",
            "name": "get_weather",
            "description": "The weather in a city",
            "parameters": TOOLS[0]["input_schema"],
        }
    ]
    assert loads(attrs["gen_ai.output.messages"]) == [
        {
            "role": "assistant",
            "parts": [
                {
                    "type": "tool_call",
                    "name": "get_weather",
                    "id": TOOL_USE_ID,
                    "arguments": {"city": "Paris"},
                }
            ],
            "finish_reason": "tool_call",
        }
    ]
    inputs = loads((answered.attributes or {})["gen_ai.input.messages"])
    assert inputs[1]["role"] == "assistant"
    assert inputs[1]["parts"][0]["type"] == "tool_call"
    assert inputs[2] == {
        "role": "tool",
        "parts": [{"type": "tool_call_response", "id": TOOL_USE_ID, "response": "21 C, sunny"}],
    }
    for span in (asked, answered):
        if semconv_check.available():
            semconv_check.check_attributes(dict(span.attributes or {}))


def test_thinking_blocks_are_reasoning_parts(client: Any, exporter: InMemorySpanExporter) -> None:
    kwargs: dict[str, Any] = {"model": "claude-x", "max_tokens": 2048, "messages": MESSAGES}
    thinking = {"type": "enabled", "budget_tokens": 1024}
    if _sdk_supports("thinking"):
        kwargs["thinking"] = thinking
    else:  # older SDKs: the same request body
        kwargs["extra_body"] = {"thinking": thinking}
    client.messages.create(**kwargs)
    (message,) = loads(_only(exporter).attributes["gen_ai.output.messages"])  # type: ignore[index]
    assert message["parts"] == [
        {"type": "reasoning", "content": THINKING},
        {"type": "text", "content": TEXT},
    ]
    assert SIGNATURE not in json.dumps(message)  # the signature is not content


def test_images_and_system_blocks(client: Any, exporter: InMemorySpanExporter) -> None:
    client.messages.create(
        model="claude-x",
        max_tokens=64,
        system=[{"type": "text", "text": "Describe images."}, {"type": "text", "text": "Briefly."}],
        messages=[
            {
                "role": "user",
                "content": [
                    {
                        "type": "image",
                        "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0K"},
                    },
                    {
                        "type": "image",
                        "source": {"type": "url", "url": "https://example.com/cat.jpg"},
                    },
                    {"type": "text", "text": "What are these?"},
                ],
            }
        ],
    )
    attrs = _only(exporter).attributes or {}
    assert loads(attrs["gen_ai.system_instructions"]) == [
        {"type": "text", "content": "Describe images."},
        {"type": "text", "content": "Briefly."},
    ]
    (message,) = loads(attrs["gen_ai.input.messages"])
    assert message["parts"] == [
        {"type": "blob", "modality": "image", "content": "iVBORw0K", "mime_type": "image/png"},
        {"type": "uri", "modality": "image", "uri": "https://example.com/cat.jpg"},
        {"type": "text", "content": "What are these?"},
    ]


def test_a_huge_image_is_bounded(
    client: Any, exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    from spanwise.common._content import reset_content_settings

    monkeypatch.setenv("SPANWISE_MAX_CONTENT_BYTES", "4096")
    reset_content_settings()
    data = "A" * 200_000
    source = {"type": "base64", "media_type": "image/png", "data": data}
    client.messages.create(
        model="claude-x",
        max_tokens=64,
        messages=[{"role": "user", "content": [{"type": "image", "source": source}]}],
    )
    value = str((_only(exporter).attributes or {})["gen_ai.input.messages"])
    assert len(value.encode()) <= 4096
    json.loads(value)  # still valid JSON


@pytest.mark.parametrize(
    ("model", "error", "status"),
    [
        ("error-400", anthropic.BadRequestError, 400),
        ("error-429", anthropic.RateLimitError, 429),
        ("error-500", anthropic.InternalServerError, 500),
    ],
)
def test_errors_are_recorded_and_reraised_unchanged(
    client: Any, exporter: InMemorySpanExporter, model: str, error: type, status: int
) -> None:
    with pytest.raises(error) as raised:
        client.messages.create(model=model, max_tokens=8, messages=MESSAGES)
    assert type(raised.value) is error
    assert raised.value.status_code == status
    snapshot = span_dict(_only(exporter))
    assert snapshot["status"] == "ERROR"
    assert snapshot["attributes"]["error.type"] == error.__qualname__
    assert [e["name"] for e in snapshot["events"]] == ["exception"]
    assert "gen_ai.output.messages" not in snapshot["attributes"]


def test_with_raw_response(client: Any, exporter: InMemorySpanExporter) -> None:
    raw = client.messages.with_raw_response.create(
        model="claude-x", max_tokens=8, messages=MESSAGES
    )
    assert raw.headers["request-id"] == "req_01FakeAnthropicRequest01"
    message = raw.parse()
    assert message.content[0].text == TEXT
    attrs = _only(exporter).attributes or {}
    assert attrs["gen_ai.response.id"] == message.id
    assert attrs["gen_ai.usage.output_tokens"] == 9


def test_beta_messages(client: Any, exporter: InMemorySpanExporter) -> None:
    client.beta.messages.create(model="claude-x", max_tokens=8, messages=MESSAGES)
    span = _only(exporter)
    assert span.name == "chat claude-x"
    assert (span.attributes or {})["gen_ai.response.finish_reasons"] == ("end_turn",)


def test_count_tokens_is_left_alone(client: Any, exporter: InMemorySpanExporter) -> None:
    if not hasattr(client.messages, "count_tokens"):
        pytest.skip(f"anthropic {anthropic.__version__} has no messages.count_tokens")
    counted = client.messages.count_tokens(model="claude-x", messages=MESSAGES)
    assert counted.input_tokens > 0
    # (recent SDKs trace their own API calls: that span is the SDK's, not spanwise's)
    assert [s for s in exporter.get_finished_spans() if s.name.startswith("chat")] == []


async def test_async_create(async_client: Any, exporter: InMemorySpanExporter) -> None:
    response = await async_client.messages.create(model="claude-x", max_tokens=8, messages=MESSAGES)
    assert response.content[0].text == TEXT
    attrs = _only(exporter).attributes or {}
    assert loads(attrs["gen_ai.output.messages"])[0]["parts"] == [{"type": "text", "content": TEXT}]


async def test_async_error(async_client: Any, exporter: InMemorySpanExporter) -> None:
    with pytest.raises(anthropic.InternalServerError):
        await async_client.messages.create(model="error-500", max_tokens=8, messages=MESSAGES)
    assert _only(exporter).status.status_code.name == "ERROR"
