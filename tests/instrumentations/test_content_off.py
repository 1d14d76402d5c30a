"""Content capture off covers error text and trace previews too.

An exception's message can carry content (a prompt echoed in a validation error, a tool's
arguments, a user's input), so whenever content capture is off for a span, the span
records the exception's type only: ``error.type``, status ERROR described by the type,
and an ``exception`` event with ``exception.type`` and a stack trace of frames and types,
no message. ``update_current_trace`` previews are content as well.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import spanwise
from spanwise.common._content import CAPTURE_ENV, reset_content_settings

SECRET = "the user's secret prompt"


@pytest.fixture
def content_off(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv(CAPTURE_ENV, "false")
    reset_content_settings()
    yield
    reset_content_settings()


def _everything(span: ReadableSpan) -> str:
    events = [(e.name, dict(e.attributes or {})) for e in span.events]
    return json.dumps([span.status.description, dict(span.attributes or {}), events])


def _fails() -> None:
    try:
        raise KeyError(SECRET)
    except KeyError as exc:
        raise ValueError(f"could not answer {SECRET}") from exc


def test_hard_off_records_the_exception_type_only(
    content_off: None, exporter: InMemorySpanExporter
) -> None:
    traced = spanwise.trace(_fails)
    with pytest.raises(ValueError, match="could not answer"):  # the app's error is whole
        traced()
    (span,) = exporter.get_finished_spans()
    assert SECRET not in _everything(span)
    assert span.attributes["error.type"] == "ValueError"  # type: ignore[index]
    assert span.status.status_code.name == "ERROR"
    assert span.status.description == "ValueError"
    (event,) = span.events
    attrs = dict(event.attributes or {})
    assert event.name == "exception"
    assert attrs["exception.type"] == "ValueError"
    assert "exception.message" not in attrs
    stack = str(attrs["exception.stacktrace"])
    # The frames and both types stay, the chain too; no message.
    assert "in _fails" in stack and stack.endswith("ValueError\n")
    assert "KeyError\n\nThe above exception was the direct cause" in stack


def test_content_on_keeps_the_message(exporter: InMemorySpanExporter) -> None:
    with pytest.raises(ValueError):
        spanwise.trace(_fails)()
    (span,) = exporter.get_finished_spans()
    assert span.status.description == f"ValueError: could not answer {SECRET}"
    assert span.events[0].attributes["exception.message"] == f"could not answer {SECRET}"  # type: ignore[index]


def test_hard_off_covers_the_manual_api(content_off: None, exporter: InMemorySpanExporter) -> None:
    @spanwise.trace(output_reducer=lambda items: 1 / 0)
    def words() -> Iterator[str]:
        yield SECRET

    with pytest.raises(RuntimeError), spanwise.start_span("step") as span:
        span.record_exception(LookupError(SECRET))
        spanwise.update_current_trace(
            tags={"team": "search"},
            request_preview=SECRET,
            response_preview=SECRET,
        )
        assert list(words()) == [SECRET]
        raise RuntimeError(SECRET)
    reduced, step = exporter.get_finished_spans()
    for span in (reduced, step):
        assert SECRET not in _everything(span)
    assert step.attributes["spanwise.trace.tags.team"] == "search"  # type: ignore[index]
    assert "spanwise.trace.request_preview" not in (step.attributes or {})
    recorded, failed = step.events
    assert dict(recorded.attributes or {}).keys() == {
        "exception.type",
        "exception.stacktrace",
        "exception.escaped",
    }
    assert recorded.attributes["exception.type"] == "LookupError"  # type: ignore[index]
    assert failed.attributes["exception.type"] == "RuntimeError"  # type: ignore[index]
    (reducer_error,) = [e for e in reduced.events if e.name != "spanwise.stream.item"]
    assert dict(reducer_error.attributes or {}) == {"exception.type": "ZeroDivisionError"}


def test_previews_recorded_when_content_is_on(exporter: InMemorySpanExporter) -> None:
    with spanwise.start_span("step"):
        spanwise.update_current_trace(request_preview="question", response_preview="answer")
    (span,) = exporter.get_finished_spans()
    assert span.attributes["spanwise.trace.request_preview"] == "question"  # type: ignore[index]
    assert span.attributes["spanwise.trace.response_preview"] == "answer"  # type: ignore[index]


def _failing_chat(client: Any) -> None:
    import openai

    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(
            model="error-404", messages=[{"role": "user", "content": SECRET}]
        )


def test_metadata_only_spans_keep_the_error_message_redacted(
    exporter: InMemorySpanExporter,
) -> None:
    """A plain ``instrument()`` records metadata only, but an error's message is
    operational (the provider's words, redacted), as in OTel's own instrumentations;
    only the hard off drops it (the tests above)."""
    openai = pytest.importorskip("openai")
    from spanwise.instrumentations.openai import OpenAIInstrumentor

    from fake_openai import mock_http_client

    own = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(own))
    client = openai.OpenAI(
        base_url="http://fake.test/v1", api_key="k", max_retries=0, http_client=mock_http_client()
    )
    instrumentor = OpenAIInstrumentor()
    instrumentor.instrument(tracer_provider=provider)
    try:
        _failing_chat(client)
    finally:
        instrumentor.uninstrument()
    spanwise.openai.autolog()  # explicit: content on, the message with it
    try:
        _failing_chat(client)
    finally:
        spanwise.openai.autolog(disable=True)
    (metadata_only,) = own.get_finished_spans()
    assert metadata_only.attributes["error.type"] == "NotFoundError"  # type: ignore[index]
    assert "The model does not exist" in str(metadata_only.status.description)
    event = dict(metadata_only.events[0].attributes or {})
    assert event["exception.type"] == "openai.NotFoundError"
    assert "does not exist" in str(event["exception.message"])
    assert SECRET not in str(event)  # the request's content is still not on the span
    assert SECRET not in str(dict(metadata_only.attributes or {}))
    (with_content,) = exporter.get_finished_spans()
    assert "The model does not exist" in str(with_content.status.description)
