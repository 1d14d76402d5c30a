"""Bad input is refused alone: one unwritable span never costs another its write, and no
message carries span content (issue 11)."""

from __future__ import annotations

import logging
import sqlite3
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from opentelemetry import trace
from sqlalchemy.exc import IntegrityError, OperationalError

import spanwise
from spanwise.exporter import _stores
from spanwise.model._records import SpanRecord
from spanwise.store import _sql
from spanwise.store._sql import SqlTraceStore

from .._lib._support import clean_env

SECRET = "USER-INPUT-7f3a"  # span content: must never reach a message or a log line


def _record(trace_id: int, span_id: int = 1, **changes: Any) -> SpanRecord:
    record: dict[str, Any] = {
        "v": 1,
        "trace_id": f"{trace_id:032x}",
        "span_id": f"{span_id:016x}",
        "parent_id": None if span_id == 1 else f"{1:016x}",
        "remote_parent": False,
        "name": f"span-{span_id}",
        "start": 1_700_000_000_000_000_000 + span_id,
        "end": 1_700_000_000_000_000_000 + 1_000_000,
        "status": "OK",
        "message": "",
        "attributes": {"spanwise.span.inputs": f'{{"q": "{SECRET}"}}'},
        "events": [],
    }
    record.update(changes)
    return record  # pyright: ignore[reportReturnType]


# Each breaks a different rule; every one of them carries SECRET in its attributes.
BAD = {
    "name None": ({"name": None}, "span name is missing (None)"),
    "name dict": ({"name": {"x": SECRET}}, "span name is a dict, not a string"),
    "name surrogate": ({"name": "a\ud800" + SECRET}, "span name is not valid Unicode text"),
    "start overflow": ({"start": 2**70}, "start time is not a 64-bit integer"),
    "end text": ({"end": SECRET}, "end time is not a 64-bit integer"),
    "status None": ({"status": None}, "invalid status"),
    "attribute object": ({"attributes": {"k": object()}}, "TypeError"),
    "attribute surrogate": ({"attributes": {"k": "\udc00" + SECRET}}, "UnicodeEncodeError"),
}


@pytest.fixture
def store(tmp_path: Path) -> Any:
    opened = SqlTraceStore(f"sqlite:///{tmp_path / 'bad.db'}")
    yield opened
    opened.close()


def _stored_span_ids(store: SqlTraceStore) -> set[tuple[str, str]]:
    return {(t.info.trace_id, s.span_id) for t in store.search([], [], None) for s in t.data.spans}


@pytest.mark.parametrize("case", list(BAD))
def test_one_bad_span_is_rejected_alone_and_the_rest_is_written(
    store: SqlTraceStore, case: str
) -> None:
    changes, reason = BAD[case]
    # 30 traces of 3 spans; the bad span is a child in the middle of the batch.
    records = [_record(t, s) for t in range(1, 31) for s in (1, 2, 3)]
    bad = _record(17, 2, **changes)
    records[(17 - 1) * 3 + 1] = bad
    rejected: list[tuple[SpanRecord, str]] = []
    written = store.write_records(records, reject=lambda r, why: rejected.append((r, why)))
    assert [r for r, _ in rejected] == [bad]
    assert reason in rejected[0][1] and SECRET not in rejected[0][1]
    assert written == 30
    expected = {(f"tr-{t:032x}", f"{s:016x}") for t in range(1, 31) for s in (1, 2, 3)}
    assert _stored_span_ids(store) == expected - {(f"tr-{17:032x}", f"{2:016x}")}


def test_many_bad_spans_and_a_bad_root(store: SqlTraceStore) -> None:
    bad = [_record(5, 1, name=None), _record(9, 2, start=2**64), _record(9, 1, status=None)]
    good = [
        _record(t, s)
        for t in range(1, 21)
        for s in (1, 2)
        if (t, s) not in {(5, 1), (9, 1), (9, 2)}
    ]
    records = good[:10] + bad + good[10:]
    rejected: list[SpanRecord] = []
    store.write_records(records, reject=lambda r, _why: rejected.append(r))
    assert sorted(map(id, rejected)) == sorted(map(id, bad))
    stored = _stored_span_ids(store)
    # Trace 5 lost its root (refused) but keeps its child; trace 9 lost both of its.
    assert (f"tr-{5:032x}", f"{2:016x}") in stored
    assert not any(t == f"tr-{9:032x}" for t, _ in stored)
    assert len(stored) == 40 - 3


def test_records_the_database_refuses_are_isolated_by_halving(
    store: SqlTraceStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Past the up-front check (as on PostgreSQL, which refuses NUL in text): the database
    # refuses the batch, and the store splits it until each refused record stands alone.
    monkeypatch.setattr(_sql, "check_record", lambda _record: None)
    calls: list[int] = []
    original = SqlTraceStore._write_batch  # pyright: ignore[reportPrivateUsage]

    def counting(self: SqlTraceStore, conn: Any, by_trace: Any) -> None:
        calls.append(sum(len(m) for m in by_trace.values()))
        original(self, conn, by_trace)

    monkeypatch.setattr(SqlTraceStore, "_write_batch", counting)
    records = [_record(t, s) for t in range(1, 129) for s in (1, 2, 3, 4)]  # 512 spans
    bad_at = (37, 300, 301)
    for i in bad_at:
        records[i] = {**records[i], "name": None}  # pyright: ignore[reportArgumentType]
    reasons: list[str] = []
    written = store.write_records(records, reject=lambda _r, why: reasons.append(why))
    assert reasons == ["IntegrityError: NOT NULL constraint failed: spans.name"] * 3
    assert written == 128
    assert len(_stored_span_ids(store)) == 512 - 3
    # log2(512) = 9 levels, at most 2 tries per level per bad record, plus the first.
    assert len(calls) <= 1 + 2 * 9 * len(bad_at)


def test_without_reject_a_malformed_record_raises_naming_the_rule(store: SqlTraceStore) -> None:
    with pytest.raises(ValueError, match=r"span name is missing \(None\)") as raised:
        store.write_records([_record(1), _record(2, name=None)])
    assert SECRET not in str(raised.value)
    assert store.count() == 0


def test_the_database_error_shows_no_parameters(
    store: SqlTraceStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Past the up-front check, the database itself refuses (as PostgreSQL would a NUL).
    monkeypatch.setattr(_sql, "check_record", lambda _record: None)
    records = [_record(1), _record(2, name=None)]
    with pytest.raises(IntegrityError) as raised:
        store.write_records(records)
    text = str(raised.value)
    assert "NOT NULL constraint failed: spans.name" in text
    assert SECRET not in text and "hide_parameters" in text
    assert store.count() == 0  # one transaction: nothing half-written


def test_a_store_problem_raises_even_with_reject(tmp_path: Path) -> None:
    path = tmp_path / "broken.db"
    store = SqlTraceStore(f"sqlite:///{path}")
    with sqlite3.connect(path) as conn:  # the store breaks under the writer
        conn.execute("DROP TABLE spans")
    rejected: list[SpanRecord] = []
    with pytest.raises(OperationalError, match="no such table"):
        store.write_records([_record(1)], reject=lambda r, _why: rejected.append(r))
    assert rejected == []  # a store in trouble is not the records' fault
    store.close()


def test_a_locked_store_is_retried_then_raises_not_rejected(
    store: SqlTraceStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    attempts: list[int] = []

    def locked(*_args: Any) -> None:
        attempts.append(1)
        raise OperationalError("INSERT", {}, sqlite3.OperationalError("database is locked"))

    monkeypatch.setattr(_sql, "_backoff", lambda _attempt: None)
    monkeypatch.setattr(SqlTraceStore, "_write_batch", lambda self, *a: locked(*a))
    rejected: list[SpanRecord] = []
    with pytest.raises(OperationalError, match="database is locked"):
        store.write_records([_record(1)], reject=lambda r, _why: rejected.append(r))
    assert len(attempts) == _sql._RETRIES  # pyright: ignore[reportPrivateUsage]
    assert rejected == []


def test_the_in_process_writer_drops_only_the_bad_span_and_logs_no_content(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="spanwise")
    writer = _stores.writer
    before = writer.rejected_spans, writer.dropped_spans
    tracer = trace.get_tracer("app")  # the raw OTel API takes any name: spanwise can't fix it
    with spanwise.start_span("good-1") as span:
        span.set_inputs({"q": SECRET})
    with tracer.start_as_current_span(None) as raw:  # type: ignore[arg-type]
        raw.set_attribute("spanwise.span.inputs", SECRET)
        with spanwise.start_span("child-of-bad"):
            pass
    with spanwise.start_span("good-2"):
        pass
    spanwise.flush()
    assert writer.rejected_spans == before[0] + 1
    assert writer.dropped_spans == before[1] + 1
    names = sorted(s.name for t in spanwise.search_traces(return_type="list") for s in t.data.spans)
    assert names == ["child-of-bad", "good-1", "good-2"]
    messages = [r.getMessage() for r in caplog.records]
    assert any("refused 1 span(s) (span name is missing (None))" in m for m in messages)
    assert not any(SECRET in m for m in messages)


def test_the_api_fixes_a_bad_name_instead_of_losing_the_span(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="spanwise")

    @spanwise.trace(name=None)
    def named_after_me() -> int:
        return 1

    with spanwise.start_span(None):  # type: ignore[arg-type]
        pass
    with spanwise.start_span(123):  # type: ignore[arg-type]
        pass
    with spanwise.start_span("bad\ud800text"):
        pass
    named_after_me()
    client = spanwise.Client()
    root = client.start_trace(None)  # type: ignore[arg-type]
    child = client.start_span(b"x", trace_id=root.trace_id, parent_id=root.span_id)  # type: ignore[arg-type]
    client.end_span(root.trace_id, child.span_id)
    client.end_trace(root.trace_id)
    spanwise.flush()
    traces = spanwise.search_traces(return_type="list")
    names = sorted(t.data.spans[0].name for t in traces)
    assert names == ["123", "bad\ufffdtext", "named_after_me", "span", "span"]
    assert "b'x'" in [s.name for t in traces for s in t.data.spans]
    messages = " | ".join(r.getMessage() for r in caplog.records)
    assert "a span name was None; using 'span'" in messages
    assert "must be a string, got a int" in messages


CHILD = textwrap.dedent(
    """
    import sys
    from opentelemetry import trace
    import spanwise
    spanwise.set_tracking_uri(sys.argv[1])
    tracer = trace.get_tracer("app")
    with spanwise.start_span("good-1") as s:
        s.set_inputs({"q": sys.argv[2]})
    with tracer.start_as_current_span(None) as s:
        s.set_attribute("spanwise.span.inputs", sys.argv[2])
    with spanwise.start_span("good-2") as s:
        s.set_outputs(sys.argv[2])
    spanwise.flush()
    print(len(spanwise.search_traces(return_type="list")))
    """
)


@pytest.mark.slow
def test_issue_repro_in_a_real_process(tmp_path: Path) -> None:
    """The issue's scenario end to end: stderr is what a user would see."""
    import subprocess

    script = tmp_path / "app.py"
    script.write_text(CHILD)
    done = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "app.db"), SECRET],
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "2"  # both good traces; only the bad span is gone
    assert "refused 1 span(s)" in done.stderr
    assert SECRET not in done.stderr and "[parameters" not in done.stderr


@pytest.mark.postgres
def test_postgresql_refusals_are_isolated_too(postgres_url: str) -> None:
    from sqlalchemy import create_engine, text

    database = "spanwise_bad_input"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {database}"))
        conn.execute(text(f"CREATE DATABASE {database}"))
    admin.dispose()
    store = SqlTraceStore(postgres_url.rsplit("/", 1)[0] + "/" + database)
    try:
        # PostgreSQL text cannot hold NUL; SQLite stores it. Both must keep the rest.
        nul_name = _record(3, 2, name="a\x00" + SECRET)
        nul_tag = _record(
            5, 1, attributes={"spanwise.trace.tags.user": SECRET + "\x00", "k": SECRET}
        )
        records = [_record(t, s) for t in range(1, 9) for s in (1, 2)]
        records[5] = nul_name
        records[8] = nul_tag
        reasons: list[str] = []
        written = store.write_records(records, reject=lambda _r, why: reasons.append(why))
        assert len(reasons) == 2 and not any(SECRET in why for why in reasons), reasons
        assert all("NUL" in why for why in reasons), reasons
        assert written == 8  # trace 5 keeps its child, trace 3 its root
        assert len(_stored_span_ids(store)) == 16 - 2
    finally:
        store.close()
