"""The trace model: what get_trace returns, and Trace JSON in MLflow's shape."""

from __future__ import annotations

import json
from typing import Any

import pytest

import spanwise
from spanwise.entities import SpanType, Trace, TraceState


def _agent_trace() -> Trace:
    @spanwise.trace(span_type=SpanType.TOOL)
    def search(query: str) -> list[str]:
        return [f"doc about {query}"]

    @spanwise.trace(span_type=SpanType.AGENT)
    def agent(question: str) -> str:
        spanwise.update_current_trace(tags={"fruit": "apple"}, metadata={"session": "s1"})
        search("cats")
        search("dogs")
        try:
            with spanwise.start_span("guard", span_type=SpanType.GUARDRAIL):
                raise PermissionError("blocked")
        except PermissionError:
            pass
        return "answer"

    agent("what?")
    trace_id = spanwise.get_last_active_trace_id()
    assert trace_id is not None
    trace = spanwise.get_trace(trace_id)
    assert trace is not None
    return trace


def test_get_trace_right_after_the_root_ends(clock: Any) -> None:
    trace = _agent_trace()
    info = trace.info
    assert info.trace_id == "tr-" + "0" * 31 + "1"
    assert info.state is TraceState.OK
    assert info.request_time == 1_700_000_000_001
    assert info.execution_duration is not None and info.execution_duration > 0
    assert info.tags == {"fruit": "apple"}
    assert info.trace_metadata == {"session": "s1", "mlflow.trace.session": "s1"}
    # Previews are the head of the recorded JSON (MLflow: "JSON-encoded, can be truncated").
    assert info.request_preview == '{"question":"what?"}'
    assert info.response_preview == '"answer"'
    names = [s.name for s in trace.data.spans]
    # Same-name siblings are suffixed in the model (the OTel names stay "search").
    assert names == ["agent", "search_1", "search_2", "guard"]
    root, first, second, guard = trace.data.spans
    assert root.parent_id is None and root.span_type == "AGENT"
    assert first.parent_id == root.span_id and first.span_type == "TOOL"
    assert first.inputs == {"query": "cats"} and first.outputs == ["doc about cats"]
    assert second.inputs == {"query": "dogs"}
    assert guard.status.status_code.value == "ERROR"
    assert guard.status.description == "PermissionError: blocked"
    assert [e.name for e in guard.events] == ["exception"]
    assert root.attributes["gen_ai.agent.name"] == "agent"
    assert trace.data.request == '{"question": "what?"}'
    assert trace.data.response == '"answer"'
    assert [s.name for s in trace.search_spans(span_type=SpanType.TOOL)] == ["search_1", "search_2"]


def test_trace_json_round_trip() -> None:
    trace = _agent_trace()
    text = trace.to_json()
    again = Trace.from_json(text)
    assert again == trace
    assert Trace.from_json(again.to_json(pretty=True)) == trace


def test_trace_json_has_mlflow_shape() -> None:
    data = json.loads(_agent_trace().to_json())
    info = data["info"]
    assert set(info) >= {
        "trace_id",
        "trace_location",
        "request_time",
        "state",
        "execution_duration_ms",
        "trace_metadata",
        "tags",
        "assessments",
        "request_preview",
        "response_preview",
    }
    assert info["request_time"].endswith("Z")
    span = data["data"]["spans"][0]
    assert set(span) == {
        "trace_id",
        "span_id",
        "parent_span_id",
        "name",
        "start_time_unix_nano",
        "end_time_unix_nano",
        "events",
        "status",
        "attributes",
        "links",
        # OTLP's fields MLflow's span JSON lacks, alongside
        "kind",
        "trace_state",
        "flags",
        "dropped_attributes_count",
        "dropped_events_count",
        "dropped_links_count",
        "resource",
        "scope",
    }
    assert span["status"] == {"code": "STATUS_CODE_OK", "message": ""}
    assert json.loads(span["attributes"]["mlflow.spanType"]) == "AGENT"
    assert json.loads(span["attributes"]["mlflow.spanInputs"]) == {"question": "what?"}
    assert json.loads(span["attributes"]["mlflow.traceRequestId"]) == info["trace_id"]


def test_mlflow_reads_spanwise_json_and_spanwise_reads_mlflow_json() -> None:
    mlflow_entities = pytest.importorskip("mlflow.entities")
    trace = _agent_trace()
    theirs = mlflow_entities.Trace.from_json(trace.to_json())
    assert theirs.info.trace_id == trace.info.trace_id
    assert theirs.info.state.value == "OK"
    assert theirs.info.tags == trace.info.tags
    assert theirs.info.execution_duration == trace.info.execution_duration
    by_id = {s.span_id: s for s in trace.data.spans}
    assert len(theirs.data.spans) == len(trace.data.spans)
    for span in theirs.data.spans:
        ours = by_id[span.span_id]
        assert span.name == ours.name
        assert span.parent_id == ours.parent_id
        assert span.span_type == ours.span_type
        assert span.inputs == ours.inputs
        assert span.outputs == ours.outputs
        assert span.status.status_code.value == ours.status.status_code.value
    # ...and back: MLflow's own JSON reads as a spanwise Trace.
    back = Trace.from_json(theirs.to_json())
    assert [s.name for s in back.data.spans] == [s.name for s in trace.data.spans]
    assert [s.inputs for s in back.data.spans] == [s.inputs for s in trace.data.spans]
    assert back.info.state is TraceState.OK


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "invalid JSON"),
        ("[]", "expected {'info'"),
        ('{"info": {}, "data": {"spans": []}}', "missing 'trace_id'"),
        (
            '{"info": {"trace_id": "tr-1", "request_time": 0}, "data": {"spans": [{"trace_id": "zz"}]}}',
            "Invalid trace_id 'zz'",
        ),
    ],
)
def test_bad_trace_json_is_a_clear_error(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Trace.from_json(text)


def test_unknown_and_malformed_trace_ids() -> None:
    with pytest.raises(ValueError, match="Invalid trace_id"):
        spanwise.get_trace("tr-123")
    with pytest.raises(LookupError, match="not found"):
        spanwise.get_trace("tr-" + "a" * 32)
    assert spanwise.get_trace("tr-" + "a" * 32, silent=True) is None
