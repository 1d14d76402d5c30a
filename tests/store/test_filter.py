"""The filter grammar: parsing, errors, and SQL agreeing with the in-memory matcher."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, event, insert, select
from sqlalchemy.engine import Engine

from spanwise.store import _schema as s
from spanwise.store._filter import (
    MAX_COMPARISONS,
    MAX_VALUES,
    Comparison,
    OrderBy,
    parse_filter,
    parse_order_by,
)
from spanwise.store._filter_sql import filter_clauses, order_clauses
from spanwise.store._match import TraceFields, matches, sort_traces


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("status = 'OK'", [Comparison("state", None, "=", "OK")]),
        ("trace.state != 'error'", [Comparison("state", None, "!=", "ERROR")]),
        (
            "attributes.status IN ('OK', 'IN_PROGRESS')",
            [Comparison("state", None, "IN", ("OK", "IN_PROGRESS"))],
        ),
        ("name LIKE 'agent%'", [Comparison("name", None, "LIKE", "agent%")]),
        ("timestamp_ms >= 1700000000000", [Comparison("timestamp_ms", None, ">=", 1700000000000)]),
        ("timestamp < 5", [Comparison("timestamp_ms", None, "<", 5)]),
        ("execution_time_ms > 100.5", [Comparison("execution_time_ms", None, ">", 100.5)]),
        ("execution_time_ms <> 3", [Comparison("execution_time_ms", None, "!=", 3)]),
        ("tags.fruit = 'apple'", [Comparison("tag", "fruit", "=", "apple")]),
        ("tag.mlflow.user ILIKE '%ADA%'", [Comparison("tag", "mlflow.user", "ILIKE", "%ADA%")]),
        ('tags.`my key` = "v"', [Comparison("tag", "my key", "=", "v")]),
        (
            "metadata.run-id NOT IN ('a', 'b')",
            [Comparison("metadata", "run-id", "NOT IN", ("a", "b"))],
        ),
        ("span.name = 'search'", [Comparison("span.name", None, "=", "search")]),
        ("span.type = 'TOOL'", [Comparison("span.type", None, "=", "TOOL")]),
        ("span.span_type != 'LLM'", [Comparison("span.type", None, "!=", "LLM")]),
        (r"tags.q = 'it\'s'", [Comparison("tag", "q", "=", "it's")]),
        # The trace's conversation: MLflow's session metadata, under the GenAI name.
        (
            "conversation.id = 'c1'",
            [Comparison("metadata", "mlflow.trace.session", "=", "c1")],
        ),
        (
            "trace.Conversation.ID IN ('a', 'b')",
            [Comparison("metadata", "mlflow.trace.session", "IN", ("a", "b"))],
        ),
        (
            "metadata.`mlflow.trace.session` = 'c1'",
            [Comparison("metadata", "mlflow.trace.session", "=", "c1")],
        ),
        (
            "status = 'OK' and tags.fruit = 'apple' AND execution_time_ms > 100",
            [
                Comparison("state", None, "=", "OK"),
                Comparison("tag", "fruit", "=", "apple"),
                Comparison("execution_time_ms", None, ">", 100),
            ],
        ),
    ],
)
def test_parse(text: str, expected: list[Comparison]) -> None:
    assert list(parse_filter(text)) == expected


@pytest.mark.parametrize("text", [None, "", "   "])
def test_empty_filter(text: str | None) -> None:
    assert parse_filter(text) == ()


@pytest.mark.parametrize(
    ("text", "message", "position"),
    [
        ("status = OK", "expected a quoted string, got 'OK'", 9),
        ("colour = 'red'", "unknown identifier 'colour'", 0),
        ("status", "expected a comparison operator after 'status'", 6),
        ("status 'OK'", "expected a comparison operator after 'status', got \"'OK'\"", 7),
        ("status > 'OK'", "operator > is not supported for status", 7),
        ("tags.a < 'x'", "operator < is not supported for tags.a", 7),
        ("name =", "expected a value", 6),
        ("name = 'abc", "unterminated string", 7),
        ("execution_time_ms > 'fast'", "expected a number, got \"'fast'\"", 20),
        ("tags.a IN ()", "the IN list is empty", 11),
        ("tags.a IN 'x'", "expected '(' to start the IN list", 10),
        ("status = 'OK' extra", "expected AND, got 'extra'", 14),
        ("status = 'OK' OR name = 'x'", "OR is not supported (only AND)", 14),
        ("status = 'OK' AND", "expected a comparison after AND", 17),
        ("status = 'DONE'", "invalid status 'DONE'", 7),
        ("tags. = 'x'", "tags.<key> needs a key", 0),
        ("name = 'x' ; drop", "unexpected character ';'", 11),
        ("conversation = 'c'", "scope.name, conversation.id)", 0),
        ("conversation.id > 'c'", "operator > is not supported for conversation.id", 16),
    ],
)
def test_errors_say_what_and_where(text: str, message: str, position: int) -> None:
    with pytest.raises(ValueError) as info:
        parse_filter(text)
    text_of_error = str(info.value)
    assert message in text_of_error
    assert f"at position {position}" in text_of_error
    caret_line = text_of_error.splitlines()[-1]
    assert caret_line.index("^") - 2 == position


def test_order_by() -> None:
    assert parse_order_by(None) == (OrderBy("timestamp_ms", False), OrderBy("trace_id", False))
    assert parse_order_by(["execution_time_ms", "name DESC"]) == (
        OrderBy("execution_time_ms", True),
        OrderBy("name", False),
        OrderBy("trace_id", True),
    )
    assert parse_order_by(["trace.timestamp_ms ASC"])[0] == OrderBy("timestamp_ms", True)
    for bad in (["colour"], ["name SIDEWAYS"], ["a b c"]):
        with pytest.raises(ValueError, match="Invalid order_by item"):
            parse_order_by(bad)


TRACES = [
    TraceFields(
        "tr-1",
        "OK",
        "agent",
        1000,
        50,
        {"fruit": "apple", "env": "prod"},
        {"user": "ada"},
        [("agent", "AGENT"), ("search", "TOOL")],
    ),
    TraceFields(
        "tr-2",
        "ERROR",
        "Agent",
        2000,
        500,
        {"fruit": "Apple"},
        {},
        [("Agent", "AGENT"), ("chat", "CHAT_MODEL")],
    ),
    TraceFields(
        "tr-3",
        "OK",
        "pipeline",
        3000,
        None,
        {"env": "dev"},
        {"user": "bob"},
        [("pipeline", "CHAIN")],
    ),
    TraceFields(
        "tr-4",
        "IN_PROGRESS",
        "agent_v2",
        4000,
        None,
        {},
        {"user": "ada"},
        [("agent_v2", "AGENT"), ("search", "TOOL"), ("search", "TOOL")],
    ),
    TraceFields(
        "tr-5",
        "OK",
        "it's",
        5000,
        150,
        {"fruit": "pear", "my key": "v"},
        {"run-id": "r1"},
        [("it's", "UNKNOWN")],
    ),
    TraceFields("tr-6", "ERROR", None, 6000, 10, {"fruit": "apple"}, {}, [("x", "TOOL")]),
]

CASES = {
    "status = 'OK'": {"tr-1", "tr-3", "tr-5"},
    "status != 'OK'": {"tr-2", "tr-4", "tr-6"},
    "status IN ('ERROR', 'IN_PROGRESS')": {"tr-2", "tr-4", "tr-6"},
    "name = 'agent'": {"tr-1"},
    "name LIKE 'agent%'": {"tr-1", "tr-4"},
    "name LIKE 'Agent'": {"tr-2"},
    "name ILIKE 'agent'": {"tr-1", "tr-2"},
    "name LIKE 'agent_v_'": {"tr-4"},
    "name != 'agent'": {"tr-2", "tr-3", "tr-4", "tr-5"},
    r"name = 'it\'s'": {"tr-5"},
    "timestamp_ms > 2000 AND timestamp_ms <= 5000": {"tr-3", "tr-4", "tr-5"},
    "execution_time_ms >= 150": {"tr-2", "tr-5"},
    "execution_time_ms < 100": {"tr-1", "tr-6"},
    "execution_time_ms IN (10, 50)": {"tr-1", "tr-6"},
    "tags.fruit = 'apple'": {"tr-1", "tr-6"},
    "tags.fruit ILIKE 'APPLE'": {"tr-1", "tr-2", "tr-6"},
    "tags.fruit != 'apple'": {"tr-2", "tr-5"},
    "tags.fruit NOT IN ('pear', 'Apple')": {"tr-1", "tr-6"},
    "tags.`my key` = 'v'": {"tr-5"},
    "tags.env = 'prod' AND status = 'OK'": {"tr-1"},
    "metadata.user = 'ada'": {"tr-1", "tr-4"},
    "metadata.run-id LIKE 'r%'": {"tr-5"},
    "span.type = 'TOOL'": {"tr-1", "tr-4", "tr-6"},
    "span.type != 'AGENT'": {"tr-1", "tr-2", "tr-3", "tr-4", "tr-5", "tr-6"},
    "span.name = 'search' AND status = 'OK'": {"tr-1"},
    "span.type IN ('CHAIN', 'CHAT_MODEL')": {"tr-2", "tr-3"},
    "tags.missing = 'x'": set(),
}


@pytest.fixture(scope="module")
def engine() -> Engine:
    engine = create_engine("sqlite://")
    event.listen(engine, "connect", lambda conn, _: conn.execute("PRAGMA case_sensitive_like=ON"))
    s.metadata.create_all(engine)
    with engine.begin() as conn:
        for t in TRACES:
            conn.execute(
                insert(s.traces).values(
                    trace_id=t.trace_id,
                    name=t.name,
                    state=t.state,
                    request_time=t.timestamp_ms,
                    start_time_ns=t.start_time_ns,
                    execution_duration=t.execution_time_ms,
                    span_count=len(t.spans),
                )
            )
            for key, value in t.tags.items():
                conn.execute(insert(s.tags).values(trace_id=t.trace_id, key=key, value=value))
            for key, value in t.metadata.items():
                conn.execute(
                    insert(s.trace_metadata).values(trace_id=t.trace_id, key=key, value=value)
                )
            for i, (name, kind) in enumerate(t.spans):
                conn.execute(
                    insert(s.spans).values(
                        trace_id=t.trace_id,
                        span_id=f"{i:016x}",
                        name=name,
                        span_type=kind,
                        start_time_ns=i,
                        status="OK",
                        remote_parent=False,
                        content="{}",
                    )
                )
    return engine


def _sql_ids(
    engine: Engine, text: str, order: list[str] | None = None, correlated: bool = False
) -> list[str]:
    query = (
        select(s.traces.c.trace_id)
        .where(
            *filter_clauses(
                parse_filter(text),
                traces=s.traces,
                tags=s.tags,
                metadata=s.trace_metadata,
                spans=s.spans,
                correlated=correlated,
            )
        )
        .order_by(*order_clauses(parse_order_by(order), traces=s.traces))
    )
    with engine.connect() as conn:
        return list(conn.execute(query).scalars())


@pytest.mark.parametrize(("text", "expected"), list(CASES.items()))
def test_sql_and_memory_agree_with_the_expected_set(
    engine: Engine, text: str, expected: set[str]
) -> None:
    in_memory = {t.trace_id for t in TRACES if matches(t, parse_filter(text))}
    assert in_memory == expected
    assert set(_sql_ids(engine, text)) == expected  # IN (subquery) form
    assert set(_sql_ids(engine, text, correlated=True)) == expected  # EXISTS form


@pytest.mark.parametrize(
    "order",
    [
        None,
        ["execution_time_ms"],
        ["execution_time_ms DESC"],
        ["name ASC"],
        ["status", "timestamp_ms DESC"],
    ],
)
def test_ordering_agrees_and_puts_missing_values_last(
    engine: Engine, order: list[str] | None
) -> None:
    in_memory = [t.trace_id for t in sort_traces(TRACES, parse_order_by(order))]
    assert _sql_ids(engine, "", order) == in_memory
    if order and order[0].startswith("execution_time_ms"):
        assert set(in_memory[-2:]) == {"tr-3", "tr-4"}  # no duration yet: last either way
    if order is None:
        assert in_memory[0] == "tr-6"  # newest first


# -- bounds: a filter that parses also runs (issue 11) --------------------------------


def _chain(clause: str, n: int) -> str:
    return " AND ".join([clause] * n)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("timestamp_ms > 99999999999999999999999999", "number 99999999999999999999999999 is out"),
        ("timestamp_ms > -9223372036854775809", "out of range"),
        ("execution_time_ms < 1e400", "number 1e400 is out of range"),
        ("execution_time_ms < '1e400'", "is out of range"),
        (
            _chain("name = 'a'", MAX_COMPARISONS + 1),
            f"too many comparisons (at most {MAX_COMPARISONS}",
        ),
        (
            "tags.k IN (" + ", ".join(["'v'"] * (MAX_VALUES + 1)) + ")",
            f"too many values (at most {MAX_VALUES}",
        ),
    ],
)
def test_out_of_bounds_filters_are_value_errors_naming_the_position(
    text: str, message: str
) -> None:
    with pytest.raises(ValueError, match="at position") as info:
        parse_filter(text)
    assert message in str(info.value)
    assert len(str(info.value).splitlines()[0]) < 400  # a long filter is quoted in part


def test_the_largest_allowed_filter_runs_on_sqlite(engine: Engine) -> None:
    # The limits sit well under SQLite's: an AND chain ~990 deep fails there
    # ("Expression tree is too large"), and old builds bind at most 999 parameters.
    assert parse_filter("timestamp_ms < 9223372036854775807")[0].value == 2**63 - 1
    widest = _chain("tags.fruit != 'x'", MAX_COMPARISONS - 1) + (
        " AND tags.fruit IN ("
        + ", ".join(f"'v{i}'" for i in range(MAX_VALUES - 100))
        + ", 'apple')"
    )
    expected = {t.trace_id for t in TRACES if t.tags.get("fruit") == "apple"}
    assert expected and {t.trace_id for t in TRACES if matches(t, parse_filter(widest))} == expected
    assert set(_sql_ids(engine, widest)) == expected
    assert set(_sql_ids(engine, widest, correlated=True)) == expected


def test_non_string_arguments_are_type_errors() -> None:
    with pytest.raises(TypeError, match="filter_string must be a string or None, got int"):
        parse_filter(123)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="order_by must be a list of strings, got int"):
        parse_order_by(5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="got an item of type NoneType"):
        parse_order_by(["name", None])  # type: ignore[list-item]


# -- SQL injection: refused, or harmless because every value is a bound parameter ------

INJECTIONS_REFUSED = [
    "name = 'x' OR 1=1",
    "name = 'x' OR '1'='1'",
    "name = 'x'; DROP TABLE traces",
    "name = 'x' -- comment",
    "name = 'x' /* c */",
    "name = 'x' UNION SELECT trace_id FROM traces",
    "name = ''' OR ''='",
    "name = x",
    "1 = 1",
    "name = (SELECT name FROM traces)",
    "tags.a = 'x') OR (1=1",
    "timestamp_ms > 0 OR 1",
    "timestamp_ms > 0x10",
    "span.name IN ('a') OR 1=1",
]


@pytest.mark.parametrize("text", INJECTIONS_REFUSED)
def test_injection_attempts_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="Invalid filter"):
        parse_filter(text)


@pytest.mark.parametrize(
    "text",
    [
        "name = 'x'' OR ''1''=''1'",
        "name = 'x\\' OR 1=1 --'",
        "tags.`a'; DROP TABLE traces; --` = 'x'",
        "metadata.`k` = '; DELETE FROM spans; --'",
        "span.name LIKE '%'' OR 1=1 --'",
    ],
)
def test_quoted_payloads_are_data_never_sql(engine: Engine, text: str) -> None:
    try:
        comparisons = parse_filter(text)
    except ValueError:
        return  # refused is fine too
    assert comparisons
    assert _sql_ids(engine, text) == []  # matched nothing, as the literal text would
    with engine.connect() as conn:  # and every table is still there, whole
        assert len(list(conn.execute(select(s.traces.c.trace_id)))) == len(TRACES)
        assert len(list(conn.execute(select(s.spans.c.span_id)))) > 0


@pytest.mark.parametrize(
    "order",
    ["name; DROP TABLE traces", "name DESC, (SELECT 1)", "name ASC --", "1", "name DESC LIMIT 1"],
)
def test_order_by_injection_is_refused(order: str) -> None:
    with pytest.raises(ValueError, match="Invalid order_by item"):
        parse_order_by([order])
