"""The OpenAI Responses API's ``conversation``: ``gen_ai.conversation.id`` on the model
span (pure extraction, then the real SDK against the local fake server), and so the
trace's conversation."""

from __future__ import annotations

from typing import Any

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import spanwise
from spanwise.instrumentations.openai._extract_responses import (
    responses_conversation,
    responses_request_attributes,
)

import semconv_check
from _support import span_dict
from fake_openai import CANARY_KEY, FakeOpenAI


class _Conversation:
    """The SDK's object form (``openai.types.responses.ResponseConversationParam`` is a
    TypedDict; a pydantic-like object is read the same)."""

    def __init__(self, id: str) -> None:
        self.id = id


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("conv_1", "conv_1"),
        ({"id": "conv_2"}, "conv_2"),
        (_Conversation("conv_3"), "conv_3"),
        (None, None),
        ("", None),
        ({}, None),
        ({"id": None}, None),
        (42, None),
    ],
)
def test_responses_conversation(value: Any, expected: str | None) -> None:
    assert responses_conversation(value) == expected


def test_request_attributes_carry_the_conversation() -> None:
    attrs = responses_request_attributes({"model": "gpt-4o-mini", "conversation": "conv_9"})
    assert attrs == {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.conversation.id": "conv_9",
    }
    assert "gen_ai.conversation.id" not in responses_request_attributes({"model": "m"})


def _needs_conversation(client: Any) -> None:
    import openai

    if not hasattr(client, "responses"):
        pytest.skip(f"this openai ({openai.__version__}) has no Responses API")


@pytest.mark.parametrize("conversation", ["conv_abc", {"id": "conv_abc"}])
def test_the_sdk_call_records_it(
    openai_client: Any, fake_server: FakeOpenAI, exporter: InMemorySpanExporter, conversation: Any
) -> None:
    _needs_conversation(openai_client)
    fake_server.requests.clear()
    with spanwise.start_span("turn") as turn:
        openai_client.responses.create(
            model="gpt-4o-mini", input="Hello again", conversation=conversation
        )
    spans = {s.name: s for s in exporter.get_finished_spans()}
    model = spans["chat gpt-4o-mini"]
    assert span_dict(model)["parent_id"] == span_dict(spans["turn"])["span_id"]
    attributes = dict(model.attributes or {})
    semconv_check.check_attributes(attributes)
    assert attributes["gen_ai.conversation.id"] == "conv_abc"
    assert "gen_ai.conversation.id" not in (spans["turn"].attributes or {})
    # The model span's conversation is the trace's (the root names none).
    trace = spanwise.get_trace(turn.trace_id)
    assert trace is not None
    assert trace.info.trace_metadata == {"mlflow.trace.session": "conv_abc"}
    found = spanwise.search_traces("conversation.id = 'conv_abc'", return_type="list")
    assert [t.info.trace_id for t in found] == [turn.trace_id]
    # The request reached the server with its conversation; no key entered a span.
    assert [r["body"]["conversation"] for r in fake_server.requests] == [conversation]
    for span in exporter.get_finished_spans():
        assert CANARY_KEY not in str(span_dict(span))


def test_a_call_without_one_records_none(
    openai_client: Any, exporter: InMemorySpanExporter
) -> None:
    _needs_conversation(openai_client)
    openai_client.responses.create(model="gpt-4o-mini", input="hi")
    (span,) = exporter.get_finished_spans()
    assert "gen_ai.conversation.id" not in (span.attributes or {})
