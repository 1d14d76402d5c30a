"""Malformed and unexpected Anthropic answers: the app gets exactly what it gets
uninstrumented, every span ends, and what arrived is recorded as well as it can be.

Generated from fake_anthropic's canned answers (see tests/_lib/malformed.py); internal
errors re-raise under tests, so an error inside spanwise shows as a changed outcome.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import anthropic
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import spanwise

import fake_anthropic
from fake_server import mock_client
from malformed import Served, cases, differences

MESSAGES = [{"role": "user", "content": "Weather in Paris?"}]
TOOLS = [{"name": "get_weather", "input_schema": {"type": "object", "required": ["city"],
          "properties": {"city": {"type": "string"}}}}]  # fmt: skip

# The SDKs' own models warn when they dump a field of the wrong type: expected here.
pytestmark = pytest.mark.filterwarnings("ignore:Pydantic serializer warnings")


@pytest.fixture
def served() -> Served:
    return Served(fake_anthropic.respond)


@pytest.fixture
def mock_anthropic(served: Served) -> Any:
    return anthropic.Anthropic(
        base_url="http://fake.test", api_key="k", max_retries=0, http_client=mock_client(served)
    )


def _create(client: Any, **kwargs: Any) -> Any:
    return client.messages.create(
        **{"model": "claude-x", "max_tokens": 64, "messages": MESSAGES, **kwargs}
    )


def _helper(client: Any) -> Any:
    """The messages.stream() helper, read to its end: its final message."""
    with client.messages.stream(model="claude-x", max_tokens=64, messages=MESSAGES) as stream:
        for _ in stream:
            pass
        return stream.get_final_message()


def test_text_deltas_as_lists_and_numbers_are_recorded_as_text(
    mock_anthropic: Any, served: Served, exporter: InMemorySpanExporter
) -> None:
    shapes = iter([[{"type": "text", "text": "a"}, "b"], 7, {"text": "c"}, None])

    def rewrite(event: Any) -> Any:
        delta = event.get("delta") or {}
        if delta.get("type") == "text_delta":
            delta["text"] = next(shapes, "z")
        return event

    served.rewrite = rewrite
    spanwise.anthropic.autolog()
    try:
        events = list(_create(mock_anthropic, stream=True))
    finally:
        spanwise.anthropic.autolog(disable=True)
    texts = [e.delta.text for e in events if e.type == "content_block_delta"]
    assert texts[:2] == [[{"type": "text", "text": "a"}, "b"], 7]  # untouched
    (span,) = exporter.get_finished_spans()
    (message,) = json.loads(str((span.attributes or {})["gen_ai.output.messages"]))
    assert [p["content"] for p in message["parts"] if p["type"] == "text"] == ["ab7cz"]
    assert message["finish_reason"] == "stop"


CALLS: dict[str, tuple[Callable[[Any], Any], bool]] = {
    "message": (_create, False),
    "message-tools": (lambda c: _create(c, tools=TOOLS), False),
    "stream": (lambda c: _create(c, stream=True, extra_body={"x_chunks": 2}), True),
    "stream-thinking-tools": (
        lambda c: _create(
            c, model="thinking", tools=TOOLS, stream=True, extra_body={"x_chunks": 2}
        ),
        True,
    ),
    "stream-helper": (_helper, False),
}


def _instrument(on: bool) -> None:
    spanwise.anthropic.autolog(disable=not on)


@pytest.mark.parametrize("call", list(CALLS))
def test_malformed_answers_change_nothing_for_the_app(
    call: str, served: Served, mock_anthropic: Any, exporter: InMemorySpanExporter
) -> None:
    make, streams = CALLS[call]
    documents: list[Any] = []

    def keep(document: Any) -> Any:
        documents.append(document)
        return document

    served.rewrite = keep
    result = make(mock_anthropic)
    if streams:
        list(result)
    found = cases(documents)
    assert len(found) >= 40
    failures = differences(
        found,
        served,
        lambda: make(mock_anthropic),
        streams,
        _instrument,
        exporter.get_finished_spans,
        exporter.clear,
        # The helper's get_final_message() can raise on a malformed stream after the
        # stream itself ended (and its span with it, as received): no ERROR to expect.
        error_status=call != "stream-helper",
    )
    assert not failures, f"{len(failures)} of {len(found)}:\n" + "\n".join(failures[:20])
