"""``update_current_trace(session_id=, user_id=)`` and ``metadata={"session": ...}``: the
root span's attributes, the trace's metadata, and search in memory and in the store."""

from __future__ import annotations

import inspect
from typing import Any

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import spanwise
from spanwise.instrumentations.manual._api import trace_context_attributes

import semconv_check
from _support import span_dict


def _turn(**context: Any) -> str:
    """One traced turn: the context is set from a nested span, as an app would."""
    with spanwise.start_span("turn", span_type="CHAIN") as root, spanwise.start_span("answer"):
        spanwise.update_current_trace(**context)
    return root.trace_id


def _root_attributes(exporter: InMemorySpanExporter) -> dict[str, Any]:
    (root,) = [s for s in exporter.get_finished_spans() if s.parent is None]
    attributes = span_dict(root)["attributes"]
    semconv_check.check_attributes(root.attributes or {})
    return {k: v for k, v in attributes.items() if not k.startswith("spanwise.span.")}


def _ids(filter_string: str) -> list[str]:
    return [t.info.trace_id for t in spanwise.search_traces(filter_string, return_type="list")]


def test_session_and_user(exporter: InMemorySpanExporter) -> None:
    trace_id = _turn(session_id="chat-1", user_id="ada", tags={"app": "demo"})
    assert _root_attributes(exporter) == {
        "spanwise.trace.tags.app": "demo",
        "spanwise.trace.metadata.mlflow.trace.session": "chat-1",
        "gen_ai.conversation.id": "chat-1",
        "spanwise.trace.metadata.mlflow.trace.user": "ada",
        "user.id": "ada",
    }
    trace = spanwise.get_trace(trace_id)
    assert trace is not None
    assert trace.info.trace_metadata == {
        "mlflow.trace.session": "chat-1",
        "mlflow.trace.user": "ada",
    }
    assert _ids("conversation.id = 'chat-1'") == [trace_id]
    assert _ids("metadata.`mlflow.trace.session` = 'chat-1'") == [trace_id]
    assert _ids("metadata.`mlflow.trace.user` = 'ada'") == [trace_id]


def test_turns_of_one_conversation_are_found_together_in_the_store() -> None:
    from spanwise.exporter import _provider

    first = _turn(session_id="chat-2")
    other = _turn(session_id="chat-3")
    second = _turn(metadata={"session": "chat-2"})
    _provider.flush()
    _provider.assembler.clear()  # read back from the store alone
    assert _ids("conversation.id = 'chat-2'") == [second, first]
    assert _ids("conversation.id = 'chat-3'") == [other]
    assert _ids("metadata.session = 'chat-2'") == [second]
    frame = spanwise.search_traces("conversation.id = 'chat-2'", return_type="pandas")
    assert [m["mlflow.trace.session"] for m in frame["trace_metadata"]] == ["chat-2", "chat-2"]


@pytest.mark.parametrize("key", ["session", "mlflow.trace.session"])
def test_session_metadata_names_the_conversation(exporter: InMemorySpanExporter, key: str) -> None:
    trace_id = _turn(metadata={key: "chat-4"})
    attributes = _root_attributes(exporter)
    assert attributes == {
        f"spanwise.trace.metadata.{key}": "chat-4",
        "gen_ai.conversation.id": "chat-4",
    }
    trace = spanwise.get_trace(trace_id)
    assert trace is not None and trace.info.trace_metadata["mlflow.trace.session"] == "chat-4"
    assert _ids("conversation.id = 'chat-4'") == [trace_id]


def test_session_id_wins_over_session_metadata() -> None:
    attrs = trace_context_attributes({"session": "from-metadata"}, "explicit", None)
    assert attrs == {
        "spanwise.trace.metadata.mlflow.trace.session": "explicit",
        "gen_ai.conversation.id": "explicit",
    }
    # A non-string id is recorded as its JSON text; an empty one names no conversation.
    assert trace_context_attributes(None, 7, 8) == {
        "spanwise.trace.metadata.mlflow.trace.session": "7",
        "gen_ai.conversation.id": "7",
        "spanwise.trace.metadata.mlflow.trace.user": "8",
        "user.id": "8",
    }
    assert trace_context_attributes({"session": ""}, None, None) == {}
    assert trace_context_attributes(None, None, None) == {}


def test_the_new_parameters_are_keyword_only() -> None:
    parameters = inspect.signature(spanwise.update_current_trace).parameters
    assert parameters["session_id"].kind is inspect.Parameter.KEYWORD_ONLY
    assert parameters["user_id"].kind is inspect.Parameter.KEYWORD_ONLY
    # MLflow's positional order is unchanged.
    assert list(parameters)[:5] == [
        "tags",
        "metadata",
        "request_preview",
        "response_preview",
        "client_request_id",
    ]


def test_session_is_recorded_with_content_capture_off(
    exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    from spanwise.common._content import reset_content_settings

    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "false")
    reset_content_settings()
    _turn(session_id="chat-5", request_preview="secret prompt")
    attributes = _root_attributes(exporter)
    assert attributes["gen_ai.conversation.id"] == "chat-5"  # an id, not content
    assert "spanwise.trace.request_preview" not in attributes


def test_outside_a_trace_nothing_is_recorded(exporter: InMemorySpanExporter) -> None:
    spanwise.update_current_trace(session_id="nowhere")
    assert exporter.get_finished_spans() == ()
    assert _ids("conversation.id = 'nowhere'") == []
