"""``span.attributes.<key>``: a trace with a span whose attribute has the value. The
store's SQL (SQLite's json_type/json_extract, PostgreSQL's JSONB) and the in-memory
matcher (traces held by the process) agree, value types included."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from spanwise.model._model import Trace
from spanwise.model._records import SpanRecord
from spanwise.store import _schema as s
from spanwise.store._filter import parse_filter, parse_order_by
from spanwise.store._filter_sql import filter_clauses
from spanwise.store._match import TraceFields, matches, otel_fields
from spanwise.store._sql import SqlTraceStore

BASE = 1_700_000_000_000_000_000
MESSAGES = [{"role": "user", "parts": [{"type": "text", "content": "Weather in Paris?"}]}]


def _span(trace: int, span: int, parent: int | None, attributes: dict[str, Any]) -> SpanRecord:
    record: dict[str, Any] = {
        "v": 1,
        "trace_id": f"{trace:032x}",
        "span_id": f"{trace * 100 + span:016x}",
        "parent_id": None if parent is None else f"{trace * 100 + parent:016x}",
        "remote_parent": False,
        "name": "agent" if parent is None else "child",
        "start": BASE + trace * 10_000 + span,
        "end": BASE + trace * 10_000 + 1000 - span,
        "status": "OK",
        "message": "",
        "attributes": attributes,
        "events": [],
    }
    return record  # pyright: ignore[reportReturnType]


def _records() -> list[SpanRecord]:
    agent = {"spanwise.span.type": "AGENT"}
    tool = {"spanwise.span.type": "TOOL", "gen_ai.tool.name": "get_weather"}
    return [
        _span(1, 1, None, agent),
        _span(
            1,
            2,
            1,
            {
                "gen_ai.operation.name": "chat",
                "gen_ai.request.model": "gpt-4o-mini",
                "gen_ai.usage.input_tokens": 12,
                "gen_ai.request.temperature": 0.5,
                "gen_ai.request.stream": True,
                "gen_ai.response.finish_reasons": ["stop"],
                "gen_ai.input.messages": json.dumps(MESSAGES, separators=(",", ":")),
                "app.rate_100%": "yes",
            },
        ),
        _span(1, 3, 1, tool),
        _span(2, 1, None, agent),
        _span(
            2,
            2,
            1,
            {
                "gen_ai.operation.name": "chat",
                "gen_ai.request.model": "claude-3",
                "gen_ai.usage.input_tokens": 7,
                "gen_ai.request.temperature": 1.0,
                "gen_ai.request.stream": False,
                "app.ключ": "значение",
                "app.rate_1000": "yes",
            },
        ),
        _span(3, 1, None, agent),
        _span(3, 2, 1, tool),
    ]


T1, T2, T3 = (f"tr-{i:032x}" for i in (1, 2, 3))
CASES = [
    ("span.attributes.`gen_ai.request.model` = 'gpt-4o-mini'", {T1}),
    ("span.attributes.gen_ai.request.model != 'gpt-4o-mini'", {T2}),
    ("span.attributes.gen_ai.request.model LIKE 'gpt%'", {T1}),
    ("span.attributes.gen_ai.request.model LIKE 'GPT%'", set[str]()),
    ("span.attributes.gen_ai.request.model ILIKE 'CLAUDE%'", {T2}),
    ("span.attributes.gen_ai.request.model IN ('claude-3', 'other')", {T2}),
    ("span.attributes.gen_ai.request.model NOT IN ('claude-3')", {T1}),
    ("span.attributes.gen_ai.usage.input_tokens = 12", {T1}),
    ("span.attributes.gen_ai.usage.input_tokens = '7'", {T2}),
    ("span.attributes.gen_ai.usage.input_tokens IN (7, 12)", {T1, T2}),
    ("span.attributes.gen_ai.request.temperature = '0.5'", {T1}),
    ("span.attributes.gen_ai.request.temperature = 1.0", {T2}),
    ("span.attributes.gen_ai.request.stream = 'true'", {T1}),
    ("span.attributes.gen_ai.request.stream = 'false'", {T2}),
    ("span.attributes.gen_ai.response.finish_reasons = 'stop'", set[str]()),  # a list
    ("span.attributes.gen_ai.input.messages LIKE '%Paris%'", {T1}),
    ("span.attributes.`app.ключ` = 'значение'", {T2}),
    ("span.attributes.`app.rate_100%` = 'yes'", {T1}),  # LIKE's wildcards in a key
    ("span.attributes.gen_ai.tool.name = 'get_weather'", {T1, T3}),
    ("span.attribute.spanwise.span.type = 'TOOL'", {T1, T3}),
    (
        "span.attributes.gen_ai.tool.name = 'get_weather' AND "
        "span.attributes.gen_ai.request.model = 'gpt-4o-mini'",
        {T1},
    ),
    ("span.attributes.missing = 'x'", set[str]()),
    ("span.attributes.missing != 'x'", set[str]()),  # a span must have the key
]


@pytest.fixture
def store(store_uri: str) -> Iterator[SqlTraceStore]:
    store = SqlTraceStore(store_uri)
    store.write_records(_records())
    yield store
    store.close()


def _fields(trace: Trace) -> TraceFields:
    root = trace.data.root_span
    assert root is not None
    return TraceFields(
        trace_id=trace.info.trace_id,
        state=trace.info.state.value,
        name=root.name,
        timestamp_ms=trace.info.request_time,
        execution_time_ms=trace.info.execution_duration,
        tags=trace.info.tags,
        metadata=trace.info.trace_metadata,
        spans=[(span.name, span.span_type) for span in trace.data.spans],
        **otel_fields(trace),
    )


def test_store_and_memory_agree(store: SqlTraceStore) -> None:
    order = parse_order_by(None)
    traces = store.load(store.search_ids((), order, None))
    assert len(traces) == 3
    tables = {"traces": s.traces, "tags": s.tags, "metadata": s.trace_metadata, "spans": s.spans}
    engine = store._engine  # pyright: ignore[reportPrivateUsage]
    for text, expected in CASES:
        comparisons = parse_filter(text)
        in_memory = {t.info.trace_id for t in traces if matches(_fields(t), comparisons)}
        assert in_memory == expected, text
        assert set(store.search_ids(comparisons, order, None)) == expected, text
        with engine.connect() as conn:  # the EXISTS form (a broad search with a limit)
            query = select(s.traces.c.trace_id).where(
                *filter_clauses(comparisons, correlated=True, **tables)
            )
            assert set(conn.execute(query).scalars()) == expected, text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("span.attributes. = 'x'", "span.attributes.<key> needs a key"),
        ("span.attributes.`a\"b` = 'x'", "a span attribute key cannot contain"),
        ("span.attributes.n > 3", "operator > is not supported for span.attributes.n"),
    ],
)
def test_bad_span_attribute_filters_say_what(text: str, message: str) -> None:
    with pytest.raises(ValueError, match="Invalid filter") as caught:
        parse_filter(text)
    assert message in str(caught.value)


@pytest.mark.parametrize("where", ["store", "memory only"])
def test_search_traces_with_span_attributes(where: str) -> None:
    import spanwise
    from spanwise import SpanType
    from spanwise.exporter import _provider

    if where == "memory only":
        spanwise.set_tracking_uri("none")
    with (
        spanwise.start_span("agent", span_type=SpanType.AGENT),
        spanwise.start_span("chat", span_type=SpanType.CHAT_MODEL) as chat,
    ):
        chat.set_attributes({"gen_ai.request.model": "gpt-4o-mini", "gen_ai.request.seed": 7})
    with spanwise.start_span("other"):
        pass
    text = (
        "span.attributes.gen_ai.request.model = 'gpt-4o-mini' "
        "AND span.attributes.gen_ai.request.seed = 7"
    )
    found = spanwise.search_traces(text, return_type="list")
    assert [t.info.trace_id for t in found] == [chat.trace_id]
    if where == "memory only":
        return
    _provider.flush()
    _provider.assembler.clear()  # now only in the store
    assert [t.info.trace_id for t in spanwise.search_traces(text, return_type="list")] == [
        chat.trace_id
    ]


def test_a_record_with_nul_text_does_not_break_the_search(store: SqlTraceStore) -> None:
    # The stored JSON escapes U+0000 (\u0000), which PostgreSQL's JSON functions refuse:
    # that record is not read there (SQLite and memory read it); the search still runs.
    record = _span(4, 1, None, {"spanwise.span.type": "AGENT", "app.note": "a\x00b", "k": "w"})
    store.write_records([record])
    want = [] if store.uri.startswith("postgresql") else [f"tr-{4:032x}"]
    order = parse_order_by(None)
    for text in ("span.attributes.k = 'w'", "span.attributes.app.note LIKE 'a%'"):
        assert store.search_ids(parse_filter(text), order, None) == want, text
    other = parse_filter("span.attributes.gen_ai.request.model = 'claude-3'")
    assert store.search_ids(other, order, None) == [T2]
