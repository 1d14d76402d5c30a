"""Translation in, golden tests per convention on hand-built spans (the conventions'
published keys), and the canonical form's guarantees: idempotent, nothing held twice,
the span's own canonical keys win."""

from __future__ import annotations

import json
from typing import Any

import pytest

from spanwise.model._conventions import canonical, canonical_record
from spanwise.model._model import Span
from spanwise.model._records import EventRecord, SpanRecord
from spanwise.model._translate import build_trace

TRACE = "0af7651916cd43dd8448eb211c80319c"


def _record(
    attributes: dict[str, Any],
    events: list[EventRecord] | None = None,
    *,
    span_id: str = "b7ad6b7169203331",
    parent: str | None = None,
    name: str = "span",
) -> SpanRecord:
    return {
        "v": 1,
        "trace_id": TRACE,
        "span_id": span_id,
        "parent_id": parent,
        "remote_parent": False,
        "name": name,
        "start": 1_000_000_000,
        "end": 2_000_000_000,
        "status": "OK",
        "message": "",
        "attributes": attributes,
        "events": events or [],
    }


def _span(attributes: dict[str, Any], events: list[EventRecord] | None = None) -> Span:
    return build_trace([_record(attributes, events)]).data.spans[0]


def _usage(span: Span) -> tuple[Any, Any]:
    return (
        span.attributes.get("gen_ai.usage.input_tokens"),
        span.attributes.get("gen_ai.usage.output_tokens"),
    )


USER = {"role": "user", "parts": [{"type": "text", "content": "hi"}]}
REPLY = {
    "role": "assistant",
    "parts": [{"type": "text", "content": "hello"}],
    "finish_reason": "stop",
}
# The same messages as a model span's inputs/outputs: MLflow's (Chat Completions) shape.
CHAT_USER = {"role": "user", "content": "hi"}
CHAT_REPLY = {
    "index": 0,
    "message": {"role": "assistant", "content": "hello"},
    "finish_reason": "stop",
}


def _messages(span: Span) -> tuple[Any, Any]:
    """The span's GenAI messages (attributes) and its inputs' messages and outputs' choices."""
    return (
        (
            span.attributes.get("gen_ai.input.messages"),
            span.attributes.get("gen_ai.output.messages"),
        ),
        (span.inputs["messages"], span.outputs["choices"]),
    )


# -- canonical input --------------------------------------------------------------------


def test_canonical_span_is_returned_as_is() -> None:
    attrs = {"gen_ai.operation.name": "chat", "gen_ai.input.messages": json.dumps([USER])}
    record = _record(attrs)
    assert canonical_record(record) is record
    assert canonical(attrs, [])[0] is attrs


def test_translation_is_idempotent() -> None:
    record = _record({"openinference.span.kind": "CHAIN", "input.value": "q", "output.value": "a"})
    once = canonical_record(record)
    assert canonical_record(once) is once


def test_own_canonical_keys_win() -> None:
    span = _span(
        {
            "gen_ai.provider.name": "azure.ai.openai",
            "gen_ai.system": "openai",
            "spanwise.span.type": "AGENT",
            "openinference.span.kind": "CHAIN",
        }
    )
    assert span.attributes["gen_ai.provider.name"] == "azure.ai.openai"
    assert span.span_type == "AGENT"
    assert "gen_ai.system" not in span.attributes


# -- GenAI, deprecated names -------------------------------------------------------------


def test_genai_deprecated_attributes() -> None:
    span = _span(
        {
            "gen_ai.system": "az.ai.inference",
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": "gpt-4o",
            "gen_ai.usage.prompt_tokens": 7,
            "gen_ai.usage.completion_tokens": 3,
            "gen_ai.prompt": json.dumps([{"role": "user", "content": "hi"}]),
            "gen_ai.completion": json.dumps([{"role": "assistant", "content": "hello"}]),
        }
    )
    assert span.span_type == "CHAT_MODEL"
    assert span.attributes["gen_ai.provider.name"] == "azure.ai.inference"
    assert _usage(span) == (7, 3)
    assert span.attributes["gen_ai.input.messages"] == [USER]
    assert span.attributes["gen_ai.output.messages"] == [REPLY]
    assert span.inputs == {"messages": [CHAT_USER], "model": "gpt-4o"}
    assert span.outputs == {
        "model": "gpt-4o",
        "choices": [CHAT_REPLY],
        "usage": {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10},
    }
    assert not {"gen_ai.system", "gen_ai.prompt", "gen_ai.completion"} & set(span.attributes)


def test_genai_per_message_events() -> None:
    def event(name: str, **attrs: Any) -> EventRecord:
        return {"name": name, "time": 1_500_000_000, "attributes": attrs}

    span = _span(
        {"gen_ai.system": "openai", "gen_ai.operation.name": "chat"},
        [
            event("gen_ai.system.message", content="Be brief."),
            event("gen_ai.user.message", **{"gen_ai.event.content": json.dumps({"content": "hi"})}),
            event(
                "gen_ai.choice",
                index=0,
                finish_reason="stop",
                message=json.dumps({"role": "assistant", "content": "hello"}),
            ),
            event("exception", **{"exception.type": "X"}),
        ],
    )
    assert _messages(span) == (
        ([{"role": "system", "parts": [{"type": "text", "content": "Be brief."}]}, USER], [REPLY]),
        ([{"role": "system", "content": "Be brief."}, CHAT_USER], [CHAT_REPLY]),
    )
    assert [e.name for e in span.events] == ["exception"]  # message events became messages


def test_genai_inference_details_event() -> None:
    span = _span(
        {"gen_ai.provider.name": "openai", "gen_ai.operation.name": "chat"},
        [
            {
                "name": "gen_ai.client.inference.operation.details",
                "time": 1,
                "attributes": {
                    "gen_ai.input.messages": json.dumps([USER]),
                    "gen_ai.output.messages": json.dumps([REPLY]),
                },
            }
        ],
    )
    assert _messages(span) == (([USER], [REPLY]), ([CHAT_USER], [CHAT_REPLY]))
    assert span.events == []


# -- OpenInference (hand-built: kinds the OpenAI instrumentor does not emit) ----------


def test_openinference_agent_tool_retriever_and_trace_context() -> None:
    agent = _span(
        {
            "openinference.span.kind": "AGENT",
            "input.value": json.dumps({"question": "weather?"}),
            "input.mime_type": "application/json",
            "output.value": "sunny",
            "output.mime_type": "text/plain",
            "session.id": "s-1",
            "user.id": "u-1",
            "metadata": json.dumps({"env": "prod"}),
            "tag.tags": ["beta"],
        }
    )
    assert (agent.span_type, agent.inputs, agent.outputs) == (
        "AGENT",
        {"question": "weather?"},
        "sunny",
    )
    trace = build_trace([_record(dict(agent.attributes) | {"spanwise.span.type": "AGENT"})])
    assert trace.info.trace_metadata == {
        "mlflow.trace.session": "s-1",
        "mlflow.trace.user": "u-1",
        "env": "prod",
    }
    assert trace.info.tags == {"beta": "true"}

    tool = _span(
        {
            "openinference.span.kind": "TOOL",
            "tool.name": "get_weather",
            "tool.description": "Weather",
            "input.value": json.dumps({"city": "Paris"}),
            "input.mime_type": "application/json",
            "output.value": json.dumps({"temp": 21}),
            "output.mime_type": "application/json",
        }
    )
    assert (tool.span_type, tool.inputs, tool.outputs) == ("TOOL", {"city": "Paris"}, {"temp": 21})
    assert tool.attributes["gen_ai.tool.name"] == "get_weather"
    assert tool.attributes["gen_ai.operation.name"] == "execute_tool"

    retriever = _span(
        {
            "openinference.span.kind": "RETRIEVER",
            "input.value": "paris weather",
            "input.mime_type": "text/plain",
            "retrieval.documents.0.document.id": "d1",
            "retrieval.documents.0.document.content": "Paris is sunny",
            "retrieval.documents.0.document.score": 0.9,
        }
    )
    assert retriever.span_type == "RETRIEVER"
    assert retriever.inputs == "paris weather"
    assert retriever.outputs == [
        {"id": "d1", "page_content": "Paris is sunny", "score": 0.9, "metadata": None}
    ]


# -- OpenLLMetry / Traceloop (the indexed gen_ai.prompt.N.* form and traceloop.*) -----


def test_traceloop_indexed_prompts_and_entities() -> None:
    llm = _span(
        {
            "llm.request.type": "chat",
            "gen_ai.system": "OpenAI",
            "gen_ai.request.model": "gpt-4o-mini",
            "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
            "gen_ai.usage.prompt_tokens": 12,
            "gen_ai.usage.completion_tokens": 9,
            "llm.usage.total_tokens": 21,
            "gen_ai.usage.cache_read_input_tokens": 4,
            "gen_ai.prompt.0.role": "user",
            "gen_ai.prompt.0.content": "hi",
            "gen_ai.completion.0.role": "assistant",
            "gen_ai.completion.0.content": "",
            "gen_ai.completion.0.finish_reason": "tool_calls",
            "gen_ai.completion.0.tool_calls.0.id": "call_1",
            "gen_ai.completion.0.tool_calls.0.name": "get_weather",
            "gen_ai.completion.0.tool_calls.0.arguments": '{"city": "Paris"}',
            "llm.request.functions.0.name": "get_weather",
            "llm.request.functions.0.parameters": '{"type": "object"}',
        }
    )
    assert llm.span_type == "CHAT_MODEL"
    assert llm.attributes["gen_ai.operation.name"] == "chat"
    assert llm.attributes["gen_ai.provider.name"] == "openai"
    assert _usage(llm) == (12, 9)
    assert llm.attributes["gen_ai.usage.cache_read.input_tokens"] == 4
    assert llm.attributes["gen_ai.input.messages"] == [USER]
    assert llm.inputs == {
        "messages": [CHAT_USER],
        "model": "gpt-4o-mini",
        "tools": [
            {
                "type": "function",
                "function": {"name": "get_weather", "parameters": {"type": "object"}},
            }
        ],
    }
    assert llm.outputs["choices"] == [
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
    assert llm.outputs["usage"] == {
        "prompt_tokens": 12,
        "completion_tokens": 9,
        "total_tokens": 21,
        "prompt_tokens_details": {"cached_tokens": 4},
    }
    assert llm.attributes["gen_ai.output.messages"] == [
        {
            "role": "assistant",
            "parts": [
                {
                    "type": "tool_call",
                    "name": "get_weather",
                    "id": "call_1",
                    "arguments": {"city": "Paris"},
                }
            ],
            "finish_reason": "tool_calls",
        }
    ]
    assert llm.attributes["gen_ai.tool.definitions"] == [
        {"type": "function", "name": "get_weather", "parameters": {"type": "object"}}
    ]
    assert not [
        k for k in llm.attributes if k.startswith(("gen_ai.prompt.", "gen_ai.completion.", "llm."))
    ]

    workflow = _span(
        {
            "traceloop.span.kind": "workflow",
            "traceloop.entity.name": "plan_trip",
            "traceloop.entity.input": json.dumps({"args": [], "kwargs": {"city": "Paris"}}),
            "traceloop.entity.output": json.dumps("done"),
            "traceloop.association.properties.user_id": "u-7",
        }
    )
    assert (workflow.span_type, workflow.inputs, workflow.outputs) == (
        "CHAIN",
        {"city": "Paris"},
        "done",
    )
    assert build_trace([_record(dict(workflow.attributes))]).info.trace_metadata == {
        "user_id": "u-7"
    }

    tool = _span(
        {
            "traceloop.span.kind": "tool",
            "traceloop.entity.name": "get_weather",
            "traceloop.entity.input": json.dumps({"args": [], "kwargs": {"city": "Paris"}}),
            "traceloop.entity.output": json.dumps({"temp": 21}),
        }
    )
    assert (tool.span_type, tool.inputs, tool.outputs) == ("TOOL", {"city": "Paris"}, {"temp": 21})
    assert tool.attributes["gen_ai.tool.name"] == "get_weather"


def test_role_less_messages_default_by_direction() -> None:
    # A reply without a role is the model's (assistant); a prompt without one is the user's.
    for attrs in (
        {
            "openinference.span.kind": "LLM",
            "llm.input_messages.0.message.content": "hi",
            "llm.output_messages.0.message.content": "hello",
            "llm.finish_reason": "stop",
        },
        {
            "llm.request.type": "chat",
            "gen_ai.prompt.0.content": "hi",
            "gen_ai.completion.0.content": "hello",
            "gen_ai.completion.0.finish_reason": "stop",
        },
    ):
        span = _span(attrs)
        assert _messages(span) == (([USER], [REPLY]), ([CHAT_USER], [CHAT_REPLY]))


def test_key_memos_stay_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    # Keys are memoized per name; a flood of distinct keys (a receiver takes anyone's)
    # must not grow the memos past their bound, and translation stays right beyond it.
    from spanwise.model import _conventions
    from spanwise.model._conventions import _common

    monkeypatch.setattr(_conventions, "_KIND_CACHE", {})  # fresh, and restored after
    monkeypatch.setattr(_common, "_SPLIT_CACHE", {})

    for i in range(_conventions._KIND_CACHE_SIZE + 10):  # pyright: ignore[reportPrivateUsage]
        canonical({f"app.key{i}": 1, f"llm.input_messages.{i}.message.content": "x"}, [])
    assert len(_conventions._KIND_CACHE) <= _conventions._KIND_CACHE_SIZE  # pyright: ignore[reportPrivateUsage]
    assert len(_common._SPLIT_CACHE) <= _common._SPLIT_CACHE_SIZE  # pyright: ignore[reportPrivateUsage]
    span = _span({"openinference.span.kind": "LLM", "llm.input_messages.0.message.content": "hi"})
    assert span.attributes["gen_ai.input.messages"] == [USER]
    assert span.inputs == {"messages": [CHAT_USER]}


# -- MLflow ----------------------------------------------------------------------------


def test_mlflow_keys() -> None:
    span = _span(
        {
            "mlflow.traceRequestId": json.dumps("tr-" + TRACE),
            "mlflow.spanType": json.dumps("CHAT_MODEL"),
            "mlflow.spanInputs": json.dumps({"messages": [{"role": "user", "content": "hi"}]}),
            "mlflow.spanOutputs": json.dumps({"choices": []}),
            "mlflow.chat.tokenUsage": json.dumps(
                {"input_tokens": 5, "output_tokens": 2, "total_tokens": 7}
            ),
            "mlflow.llm.model": json.dumps("gpt-4o-mini"),
            "mlflow.llm.provider": json.dumps("openai"),
            "mlflow.traceTag.team": "search",
        }
    )
    assert span.span_type == "CHAT_MODEL"
    assert span.inputs == {"messages": [{"role": "user", "content": "hi"}]}
    assert span.outputs == {"choices": []}
    assert _usage(span) == (5, 2)
    assert span.attributes["gen_ai.request.model"] == "gpt-4o-mini"
    assert span.attributes["gen_ai.provider.name"] == "openai"
    assert not [k for k in span.attributes if k.startswith("mlflow.")]
    trace = build_trace([_record(dict(span.attributes) | {"spanwise.span.type": "CHAT_MODEL"})])
    assert trace.info.tags == {"team": "search"}


def test_mlflow_tool_span() -> None:
    span = _span(
        {
            "mlflow.spanType": json.dumps("TOOL"),
            "mlflow.spanInputs": json.dumps({"city": "Paris"}),
            "mlflow.spanOutputs": json.dumps(21),
        }
    )
    assert (span.span_type, span.inputs, span.outputs) == ("TOOL", {"city": "Paris"}, 21)
