"""A model span's inputs and outputs in MLflow's shape (the Chat Completions request and
response MLflow's autologging records, whatever the provider), checked against MLflow's
own chat types; the span's attributes stay in the GenAI conventions. Also the ``mlflow``
dialect's token usage with cache counts and its message format."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import spanwise
from spanwise.model._chat_out import chat_message, chat_request, chat_response
from spanwise.model._dialects import DialectSpanExporter

from fake_anthropic import CANARY_KEY, TOOL_USE_ID, FakeAnthropic

chat_types = pytest.importorskip("mlflow.types.chat", reason="MLflow's chat types (mlflow-tracing)")

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


def _mlflow_valid(inputs: Any, outputs: Any) -> None:
    """Read by MLflow's own chat models: what its UI and evaluators parse."""
    for message in inputs["messages"]:
        chat_types.ChatMessage.model_validate(message)
    for choice in outputs["choices"]:
        chat_types.ChatChoice.model_validate(choice)
    chat_types.ChatUsage.model_validate(outputs["usage"])


@pytest.fixture(scope="module")
def fake_anthropic() -> Iterator[FakeAnthropic]:
    server = FakeAnthropic().start()
    yield server
    server.stop()


@pytest.fixture
def anthropic_client(fake_anthropic: FakeAnthropic) -> Iterator[Any]:
    anthropic = pytest.importorskip("anthropic")
    spanwise.anthropic.autolog()
    yield anthropic.Anthropic(base_url=fake_anthropic.base_url, api_key=CANARY_KEY, max_retries=0)
    spanwise.anthropic.autolog(disable=True)


def test_anthropic_tool_round_trip_reads_as_chat_completions(anthropic_client: Any) -> None:
    ask = [{"role": "user", "content": "Weather in Paris?"}]
    with spanwise.start_span("agent", span_type="AGENT"):
        first = anthropic_client.messages.create(
            model="claude-x", max_tokens=64, system="You are terse.", messages=ask, tools=TOOLS
        )
        history = [
            *ask,
            {"role": "assistant", "content": [b.model_dump() for b in first.content]},
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": TOOL_USE_ID, "content": "21 C"},
                    {"type": "text", "text": "And tomorrow?"},
                ],
            },
        ]
        anthropic_client.messages.create(
            model="claude-x", max_tokens=64, system="You are terse.", messages=history
        )
    trace = spanwise.get_trace(spanwise.get_last_active_trace_id() or "")
    asked, answered = (s for s in trace.data.spans if s.span_type == "CHAT_MODEL")
    call = {
        "id": TOOL_USE_ID,
        "type": "function",
        "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
    }
    assert asked.inputs == {
        "messages": [
            {"role": "system", "content": "You are terse."},
            {"role": "user", "content": "Weather in Paris?"},
        ],
        "model": "claude-x",
        "max_tokens": 64,
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "get_weather",
                    "description": "The weather in a city",
                    "parameters": TOOLS[0]["input_schema"],
                },
            }
        ],
    }
    assert asked.outputs["choices"] == [
        {
            "index": 0,
            "message": {"role": "assistant", "content": None, "tool_calls": [call]},
            "finish_reason": "tool_call",
        }
    ]
    assert asked.outputs["id"] == first.id
    assert asked.outputs["usage"]["prompt_tokens_details"] == {"cached_tokens": 4}
    assert answered.inputs["messages"][2:] == [
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "content": "21 C", "tool_call_id": TOOL_USE_ID},
        {"role": "user", "content": "And tomorrow?"},
    ]
    for span in (asked, answered):
        _mlflow_valid(span.inputs, span.outputs)
        # The attributes keep the GenAI conventions' parts format.
        assert span.attributes["gen_ai.input.messages"][0]["parts"][0]["type"] == "text"
        assert span.attributes["gen_ai.system_instructions"] == [
            {"type": "text", "content": "You are terse."}
        ]


def test_a_model_call_alone_fills_search_traces_request_and_response(
    anthropic_client: Any,
) -> None:
    pytest.importorskip("pandas")
    anthropic_client.messages.create(
        model="claude-x", max_tokens=64, messages=[{"role": "user", "content": "Hi"}]
    )
    df = spanwise.search_traces(return_type="pandas")
    (row,) = df.to_dict("records")
    assert row["request"] == {
        "messages": [{"role": "user", "content": "Hi"}],
        "model": "claude-x",
        "max_tokens": 64,
    }
    (choice,) = row["response"]["choices"]
    assert choice["message"]["role"] == "assistant"
    assert isinstance(choice["message"]["content"], str)
    # MLflow reads the trace JSON to the same inputs and outputs.
    entities = pytest.importorskip("mlflow.entities")
    (span,) = entities.Trace.from_json(row["trace"]).data.spans
    assert (span.inputs, span.outputs) == (row["request"], row["response"])


def test_rich_parts_as_chat_content() -> None:
    message = {
        "role": "user",
        "parts": [
            {"type": "blob", "modality": "image", "content": "iVBO", "mime_type": "image/png"},
            {"type": "uri", "modality": "image", "uri": "https://example.com/cat.jpg"},
            {"type": "blob", "modality": "audio", "content": "UklG", "mime_type": "audio/wav"},
            {"type": "text", "content": "What are these?"},
        ],
    }
    (chat,) = chat_message(message)
    assert chat == {
        "role": "user",
        "content": [
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBO"}},
            {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg"}},
            {"type": "input_audio", "input_audio": {"data": "UklG", "format": "wav"}},
            {"type": "text", "text": "What are these?"},
        ],
    }
    chat_types.ChatMessage.model_validate(chat)
    reply = {
        "role": "assistant",
        "parts": [{"type": "reasoning", "content": "Cats."}, {"type": "text", "content": "Cats"}],
        "finish_reason": "stop",
    }
    (answer,) = chat_response({"gen_ai.output.messages": [reply]})["choices"]
    assert answer["message"]["content"] == [
        {"type": "reasoning", "summary": [{"type": "summary_text", "text": "Cats."}]},
        {"type": "text", "text": "Cats"},
    ]
    chat_types.ChatChoice.model_validate(answer)
    # A part with no Chat Completions counterpart is kept; what is not a message too.
    odd = {"role": "user", "parts": [{"type": "uri", "modality": "video", "uri": "v.mp4"}]}
    assert chat_message(odd) == [
        {"role": "user", "content": [{"type": "uri", "modality": "video", "uri": "v.mp4"}]}
    ]
    assert chat_message("plain") == ["plain"]


def test_without_messages_inputs_stay_as_recorded() -> None:
    assert chat_request({"gen_ai.request.model": "m"}) is None
    assert chat_response({}) is None
    assert chat_request({"gen_ai.input.messages": "not JSON"}) == "not JSON"
    # Request parameters under their Chat Completions names.
    request = chat_request(
        {
            "gen_ai.input.messages": [],
            "gen_ai.request.model": "m",
            "gen_ai.request.choice.count": 2,
            "gen_ai.request.stop_sequences": ["\n"],
            "gen_ai.request.top_k": 5,
            "gen_ai.request.stream": True,
        }
    )
    assert request == {
        "messages": [],
        "model": "m",
        "n": 2,
        "stop": ["\n"],
        "top_k": 5,
        "stream": True,
    }


def test_mlflow_dialect_usage_with_cache_counts_and_message_format(
    exporter: InMemorySpanExporter,
) -> None:
    with spanwise.start_span("chat claude-x", span_type="CHAT_MODEL") as span:
        span.set_attributes(
            {
                "gen_ai.operation.name": "chat",
                "gen_ai.request.model": "claude-x",
                "gen_ai.usage.input_tokens": 20,
                "gen_ai.usage.output_tokens": 5,
                "gen_ai.usage.cache_read.input_tokens": 4,
                "gen_ai.usage.cache_creation.input_tokens": 3,
                "gen_ai.input.messages": json.dumps(
                    [{"role": "user", "parts": [{"type": "text", "content": "Hi"}]}]
                ),
            }
        )
    with spanwise.start_span("tool", span_type="TOOL") as tool:
        tool.set_inputs({"x": 1})
    sink = InMemorySpanExporter()
    DialectSpanExporter(sink, "mlflow").export(exporter.get_finished_spans())
    chat, plain = (dict(s.attributes or {}) for s in sink.get_finished_spans())
    assert json.loads(chat["mlflow.chat.tokenUsage"]) == {
        "input_tokens": 20,
        "output_tokens": 5,
        "total_tokens": 25,
        "cache_read_input_tokens": 4,
        "cache_creation_input_tokens": 3,
    }
    assert json.loads(chat["mlflow.message.format"]) == "openai"
    assert json.loads(chat["mlflow.spanInputs"]) == {
        "messages": [{"role": "user", "content": "Hi"}],
        "model": "claude-x",
    }
    assert "mlflow.message.format" not in plain and "mlflow.chat.tokenUsage" not in plain

    sink = InMemorySpanExporter()
    DialectSpanExporter(sink, "openinference").export(exporter.get_finished_spans()[:1])
    (oi,) = sink.get_finished_spans()
    assert json.loads((oi.attributes or {})["llm.invocation_parameters"]) == {"model": "claude-x"}
