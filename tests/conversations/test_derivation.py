"""Which conversation a trace is a turn of: read once, where its summary is made."""

from __future__ import annotations

from typing import Any

import pytest

from spanwise.model._conversation import (
    CONVERSATION_KEY,
    span_conversation,
    trace_conversation,
)
from spanwise.model._translate import build_trace, trace_info

META = "spanwise.trace.metadata."
CONV = "gen_ai.conversation.id"


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        ({}, None),
        ({CONV: "c1"}, "c1"),
        ({META + "session": "s1"}, "s1"),
        ({META + "mlflow.trace.session": "m1"}, "m1"),
        # MLflow's key first, then the hand-written one, then the span's conversation.
        ({META + "session": "s1", META + "mlflow.trace.session": "m1", CONV: "c1"}, "m1"),
        ({META + "session": "s1", CONV: "c1"}, "s1"),
        ({CONV: ""}, None),  # empty names nothing
        ({CONV: 42}, "42"),  # another tool's number, as text
    ],
)
def test_span_conversation(attributes: dict[str, Any], expected: str | None) -> None:
    assert span_conversation(attributes) == expected


def test_the_root_speaks_for_the_trace(record: Any) -> None:
    root = record(1, 1, None, {CONV: "root-conv"})
    child = record(1, 2, 1, {CONV: "child-conv"}, start=1)
    assert trace_conversation(root, [root, child]) == "root-conv"
    built = build_trace([child, root])
    assert built.info.trace_metadata == {CONVERSATION_KEY: "root-conv"}


def test_else_the_earliest_span_that_names_one(record: Any) -> None:
    root = record(1, 1, None)
    late = record(1, 2, 1, {CONV: "late"}, start=50)
    early = record(1, 3, 1, {CONV: "early"}, start=10)
    plain = record(1, 4, 1, start=1)
    assert trace_conversation(root, [late, plain, early]) == "early"
    assert trace_conversation(root, [plain]) is None
    built = build_trace([late, root, plain, early])
    assert built.info.trace_metadata == {CONVERSATION_KEY: "early"}


def test_explicit_session_metadata_wins_over_every_span(record: Any) -> None:
    root = record(1, 1, None, {META + "mlflow.trace.session": "explicit", CONV: "other"})
    child = record(1, 2, 1, {CONV: "child"}, start=1)
    assert build_trace([root, child]).info.trace_metadata == {CONVERSATION_KEY: "explicit"}


def test_hand_written_session_metadata_names_the_conversation(record: Any) -> None:
    root = record(1, 1, None, {META + "session": "s-9", META + "user": "ada"})
    info = build_trace([root]).info
    # Kept as written, and as MLflow's session.
    assert info.trace_metadata == {"session": "s-9", "user": "ada", CONVERSATION_KEY: "s-9"}


def test_trace_info_reads_the_root_alone(record: Any) -> None:
    # The store's summary is read off the root: the root's conversation only.
    assert trace_info(record(1, 1, None, {CONV: "c"})).trace_metadata == {CONVERSATION_KEY: "c"}
    assert trace_info(record(1, 1, None)).trace_metadata == {}


def test_no_conversation_adds_nothing(record: Any) -> None:
    built = build_trace([record(1, 1, None, {META + "k": "v"}), record(1, 2, 1, start=1)])
    assert built.info.trace_metadata == {"k": "v"}


def test_openinference_session_on_a_child_counts(record: Any) -> None:
    # OpenInference's session.id (Phoenix's using_session) on a child span only.
    root = record(1, 1, None)
    child = record(1, 2, 1, {"session.id": "oi-1", "openinference.span.kind": "LLM"}, start=1)
    assert build_trace([root, child]).info.trace_metadata == {CONVERSATION_KEY: "oi-1"}
