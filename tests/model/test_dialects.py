"""Translation out: the mlflow and openinference dialects, applied in the exporter.

The agent trace (AGENT > chat with a tool call > TOOL > chat) is recorded with the real
spanwise API; the dialect exporter wraps an in-memory exporter. Each dialect is checked
key by key, and read back through translation-in to the same span types and I/O.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import spanwise
from spanwise import SpanType
from spanwise.model._dialects import DialectSpanExporter, resolve_dialect
from spanwise.model._records import record_from_otel
from spanwise.model._translate import build_trace

ASK = [{"role": "user", "parts": [{"type": "text", "content": "Weather in Paris?"}]}]
CALL = [
    {
        "role": "assistant",
        "parts": [
            {
                "type": "tool_call",
                "id": "call_1",
                "name": "get_weather",
                "arguments": {"city": "Paris"},
            }
        ],
        "finish_reason": "tool_calls",
    }
]


def _chat(name: str, outputs: list[dict[str, Any]]) -> None:
    with spanwise.start_span(name, span_type=SpanType.CHAT_MODEL) as span:
        span.set_attributes(
            {
                "gen_ai.operation.name": "chat",
                "gen_ai.provider.name": "openai",
                "gen_ai.request.model": "gpt-4o-mini",
                "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
                "gen_ai.usage.input_tokens": 12,
                "gen_ai.usage.output_tokens": 9,
                "gen_ai.input.messages": json.dumps(ASK),
                "gen_ai.output.messages": json.dumps(outputs),
            }
        )


@spanwise.trace(span_type=SpanType.TOOL)
def get_weather(city: str) -> dict[str, Any]:
    return {"city": city, "temp_c": 21}


@spanwise.trace(span_type=SpanType.AGENT)
def agent(question: str) -> str:
    spanwise.update_current_trace(tags={"env": "prod"}, metadata={"mlflow.trace.session": "s-1"})
    _chat("chat gpt-4o-mini", CALL)
    get_weather("Paris")
    _chat(
        "chat gpt-4o-mini",
        [
            {
                "role": "assistant",
                "parts": [{"type": "text", "content": "Sunny"}],
                "finish_reason": "stop",
            }
        ],
    )
    return "Sunny, 21 C"


def _recorded(exporter: InMemorySpanExporter) -> list[ReadableSpan]:
    agent("Weather in Paris?")
    spans = list(exporter.get_finished_spans())
    assert [s.name for s in spans] == [
        "chat gpt-4o-mini",
        "get_weather",
        "chat gpt-4o-mini",
        "agent",
    ]
    return spans


def _export(spans: list[ReadableSpan], dialect: str) -> dict[str, dict[str, Any]]:
    sink = InMemorySpanExporter()
    DialectSpanExporter(sink, dialect).export(spans)
    out = sink.get_finished_spans()
    return {f"{s.name}#{i}": dict(s.attributes or {}) for i, s in enumerate(out)}


def test_mlflow_dialect(exporter: InMemorySpanExporter) -> None:
    spans = _recorded(exporter)
    before = [dict(s.attributes or {}) for s in spans]
    out = _export(spans, "mlflow")
    chat, tool, _, root = out.values()
    assert json.loads(chat["mlflow.spanType"]) == "CHAT_MODEL"
    # A model call's I/O in MLflow's (Chat Completions) shape, rendered as a chat.
    assert json.loads(chat["mlflow.spanInputs"]) == {
        "messages": [{"role": "user", "content": "Weather in Paris?"}],
        "model": "gpt-4o-mini",
    }
    assert json.loads(chat["mlflow.spanOutputs"])["choices"] == [
        {
            "index": 0,
            "message": {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
                    }
                ],
            },
            "finish_reason": "tool_calls",
        }
    ]
    assert json.loads(chat["mlflow.message.format"]) == "openai"
    assert "mlflow.message.format" not in tool
    assert json.loads(chat["mlflow.chat.tokenUsage"]) == {
        "input_tokens": 12,
        "output_tokens": 9,
        "total_tokens": 21,
    }
    assert json.loads(chat["mlflow.llm.model"]) == "gpt-4o-mini-2024-07-18"
    assert json.loads(tool["mlflow.spanType"]) == "TOOL"
    assert json.loads(tool["mlflow.spanInputs"]) == {"city": "Paris"}
    assert json.loads(tool["mlflow.spanOutputs"]) == {"city": "Paris", "temp_c": 21}
    assert json.loads(root["mlflow.spanType"]) == "AGENT"
    assert json.loads(root["mlflow.spanInputs"]) == {"question": "Weather in Paris?"}
    assert root["mlflow.traceTag.env"] == "prod"
    assert root["mlflow.traceTag.mlflow.traceName"] == "agent"
    assert "mlflow.traceTag.mlflow.traceName" not in chat
    # The application's spans are untouched: the dialect exists only on the wire.
    assert [dict(s.attributes or {}) for s in spans] == before


def test_openinference_dialect(exporter: InMemorySpanExporter) -> None:
    out = _export(_recorded(exporter), "openinference")
    chat, tool, _, root = out.values()
    assert chat["openinference.span.kind"] == "LLM"
    assert chat["llm.model_name"] == "gpt-4o-mini-2024-07-18"
    assert chat["llm.provider"] == "openai"
    assert (
        chat["llm.token_count.prompt"],
        chat["llm.token_count.completion"],
        chat["llm.token_count.total"],
    ) == (12, 9, 21)
    assert chat["llm.input_messages.0.message.role"] == "user"
    assert chat["llm.input_messages.0.message.content"] == "Weather in Paris?"
    assert (
        chat["llm.output_messages.0.message.tool_calls.0.tool_call.function.name"] == "get_weather"
    )
    assert json.loads(
        chat["llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments"]
    ) == {"city": "Paris"}
    assert chat["input.mime_type"] == "application/json"
    assert (tool["openinference.span.kind"], tool["tool.name"]) == ("TOOL", "get_weather")
    assert json.loads(tool["input.value"]) == {"city": "Paris"}
    assert root["openinference.span.kind"] == "AGENT"
    assert root["output.value"] == "Sunny, 21 C" and root["output.mime_type"] == "text/plain"
    assert root["session.id"] == "s-1"
    assert list(root["tag.tags"]) == ["env=prod"]


@pytest.mark.parametrize("dialect", ["mlflow", "openinference"])
def test_dialect_reads_back_the_same(exporter: InMemorySpanExporter, dialect: str) -> None:
    """Out in a dialect, then in with only that dialect's keys: the same trace."""
    spans = _recorded(exporter)
    original = build_trace(record_from_otel(s) for s in spans)
    sink = InMemorySpanExporter()
    DialectSpanExporter(sink, dialect).export(spans)
    foreign = []
    for span in sink.get_finished_spans():
        record = record_from_otel(span)
        keep = (
            ("mlflow.", "traceTag")
            if dialect == "mlflow"
            else ("openinference.", "input.", "output.", "llm.", "tool.", "session.", "tag.")
        )
        record["attributes"] = {k: v for k, v in record["attributes"].items() if k.startswith(keep)}
        foreign.append(record)
    again = build_trace(foreign)
    assert [(s.name, s.span_type, s.inputs, s.outputs) for s in again.data.spans] == [
        (s.name, s.span_type, s.inputs, s.outputs) for s in original.data.spans
    ]
    assert again.info.tags == {"env": "prod"}


def test_genai_is_a_pass_through_and_unknown_dialect_is_clear(
    exporter: InMemorySpanExporter,
) -> None:
    spans = _recorded(exporter)
    assert _export(spans, "genai") == {
        f"{s.name}#{i}": dict(s.attributes or {}) for i, s in enumerate(spans)
    }
    with pytest.raises(
        ValueError, match="Unknown export dialect 'jaeger': use one of genai, mlflow, openinference"
    ):
        resolve_dialect("jaeger")


def test_content_parts_never_consumes_a_generator_and_reads_a_model_as_one_part() -> None:
    from spanwise.model._chat_format import content_parts

    def chunks():  # an app passing a generator: the SDK must still see every item
        yield {"type": "text", "text": "a"}

    generator = chunks()
    content_parts(generator)
    assert next(generator) == {"type": "text", "text": "a"}

    class Part:  # an SDK object that also iterates (as pydantic models do)
        type = "text"
        text = "hi"

        def __iter__(self):  # pragma: no cover - must not be used
            raise AssertionError("iterated")

    assert content_parts(Part()) == [{"type": "text", "content": "hi"}]


def test_openinference_session_from_the_conversation_attribute(
    exporter: InMemorySpanExporter,
) -> None:
    """A span naming its conversation (LangGraph's thread, a Responses conversation)
    carries it as Phoenix's ``session.id``; trace metadata, when set, wins."""
    with spanwise.start_span("turn", span_type=SpanType.AGENT) as span:
        span.set_attributes({"gen_ai.conversation.id": "thread-7"})
    with spanwise.start_span("named", span_type=SpanType.AGENT) as span:
        span.set_attributes({"gen_ai.conversation.id": "thread-7"})
        spanwise.update_current_trace(metadata={"mlflow.trace.session": "s-9"})
    turn, named = _export(list(exporter.get_finished_spans()), "openinference").values()
    assert turn["session.id"] == "thread-7"
    assert named["session.id"] == "s-9"
