"""Spans read from records decode their JSON attributes on first read, once, and read
the same as eagerly built spans."""

from __future__ import annotations

import json
from typing import Any

from spanwise.model._model import Span, SpanStatus, SpanStatusCode
from spanwise.model._records import SpanRecord
from spanwise.model._stored import StoredSpan
from spanwise.model._translate import build_trace, span_from_record


def _record(span_id: str = "00000000000000a1", **attributes: Any) -> SpanRecord:
    return {
        "v": 1,
        "trace_id": "0" * 31 + "1",
        "span_id": span_id,
        "parent_id": None,
        "remote_parent": False,
        "name": "agent",
        "start": 1_000_000,
        "end": 3_000_000,
        "status": "OK",
        "message": "",
        "attributes": {
            "spanwise.span.type": "AGENT",
            "spanwise.span.inputs": json.dumps({"question": "q"}),
            "spanwise.span.outputs": '"answer"',
            "gen_ai.usage.input_tokens": 3,
            "gen_ai.usage.output_tokens": 4,
            "gen_ai.tool.call.arguments": "not json",
            **attributes,
        },
        "events": [],
    }


def _eager() -> Span:
    return Span(
        trace_id="tr-" + "0" * 31 + "1",
        span_id="00000000000000a1",
        parent_id=None,
        name="agent",
        start_time_ns=1_000_000,
        end_time_ns=3_000_000,
        status=SpanStatus(SpanStatusCode.OK),
        span_type="AGENT",
        inputs={"question": "q"},
        outputs="answer",
        attributes={
            "spanwise.span.type": "AGENT",
            "gen_ai.usage.input_tokens": 3,
            "gen_ai.usage.output_tokens": 4,
            "gen_ai.tool.call.arguments": "not json",
        },
        kind="UNSPECIFIED",
    )


def test_a_span_from_a_record_is_undecoded_until_read_and_then_equals_the_eager_one() -> None:
    span = span_from_record(_record())
    assert isinstance(span, StoredSpan)
    assert span.raw_attributes is not None
    # Plain keys are answered from the record, without decoding.
    assert span.get_attribute("gen_ai.usage.input_tokens") == 3
    assert span.raw_attributes is not None
    assert span == _eager() and _eager() == span
    assert span.raw_attributes is None  # comparing read the fields: decoded, once
    assert span.inputs == {"question": "q"}
    assert "spanwise.span.inputs" not in span.attributes


def test_setting_a_lazy_field_first_keeps_the_others() -> None:
    span = span_from_record(_record())
    span.inputs = {"replaced": True}
    assert span.inputs == {"replaced": True}
    assert span.outputs == "answer"
    assert span.attributes["gen_ai.usage.output_tokens"] == 4
    span.attributes = {"k": "v"}
    assert span.get_attribute("k") == "v"


def test_json_keys_read_through_get_attribute_are_decoded() -> None:
    span = span_from_record(_record(**{"gen_ai.tool.call.result": '{"y": 1}'}))
    assert span.get_attribute("gen_ai.tool.call.result") == {"y": 1}
    assert span.get_attribute("spanwise.span.inputs") is None  # lifted into inputs


def test_trace_reads_usage_and_renames_siblings_without_decoding() -> None:
    root = _record()
    child_a = {**_record("00000000000000b1"), "parent_id": "00000000000000a1", "name": "tool"}
    child_b = {**_record("00000000000000b2"), "parent_id": "00000000000000a1", "name": "tool"}
    child_b["start"] = 2_000_000
    trace = build_trace([root, child_a, child_b])  # pyright: ignore[reportArgumentType]
    assert trace.info.token_usage == {"input_tokens": 3, "output_tokens": 4, "total_tokens": 7}
    names = [s.name for s in trace.data.spans]
    assert names == ["agent", "tool_1", "tool_2"]
    spans = trace.data.spans
    assert all(isinstance(s, StoredSpan) and s.raw_attributes is not None for s in spans)
    assert spans[2].outputs == "answer"
    back = type(trace).from_json(trace.to_json())
    assert back.data.spans == spans
