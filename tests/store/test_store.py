"""The embedded store: writes off the app's thread, merges, concurrency, PostgreSQL."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

import spanwise
from spanwise.exporter import SpanwiseStoreExporter
from spanwise.exporter._provider import get_store
from spanwise.store._sql import SqlTraceStore, StoreSchemaError


def _run_agent(i: int = 0) -> str:
    @spanwise.trace(span_type="TOOL")
    def tool(x: int) -> int:
        return x * 2

    @spanwise.trace(span_type="AGENT")
    def agent(x: int) -> int:
        spanwise.update_current_trace(tags={"i": str(i)})
        return tool(x) + tool(x + 1)

    agent(i)
    trace_id = spanwise.get_last_active_trace_id()
    assert trace_id is not None
    return trace_id


def test_finished_trace_reaches_the_store_unchanged(tmp_path: Path) -> None:
    trace_id = _run_agent()
    in_memory = spanwise.get_trace(trace_id)
    assert spanwise.flush()
    store = SqlTraceStore(f"sqlite:///{tmp_path / 'traces.db'}")
    stored = store.get_trace(trace_id)
    assert stored is not None and in_memory is not None
    assert stored.to_dict() == in_memory.to_dict()
    assert store.count() == 1


def test_writes_happen_off_the_applications_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    threads: list[str] = []
    original = SqlTraceStore.write_records

    def spy(self: SqlTraceStore, spans: Any, **options: Any) -> int:
        threads.append(threading.current_thread().name)
        return original(self, spans, **options)

    monkeypatch.setattr(SqlTraceStore, "write_records", spy)
    _run_agent()
    spanwise.flush()
    assert threads == ["spanwise-store-writer"]


def test_partial_traces_are_merged_in_the_store(tmp_path: Path) -> None:
    """The OTel exporter path delivers spans as they end, possibly before their root."""
    uri = f"sqlite:///{tmp_path / 'exported.db'}"
    exporter = SpanwiseStoreExporter(uri)
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("app")
    store = SqlTraceStore(uri)
    with tracer.start_as_current_span("root") as root:
        with tracer.start_as_current_span("child"):
            pass
        trace_id = f"tr-{root.get_span_context().trace_id:032x}"
        partial = store.get_trace(trace_id)
        assert partial is not None
        assert partial.info.state.value == "IN_PROGRESS"
        assert [s.name for s in partial.data.spans] == ["child"]
    done = store.get_trace(trace_id)
    assert done is not None
    assert done.info.state.value == "OK"
    assert [s.name for s in done.data.spans] == ["root", "child"]
    assert store.count() == 1
    exporter.shutdown()
    exporter.shutdown()  # idempotent
    assert exporter.export([]).name == "FAILURE"  # after shutdown: FAILURE, never raises
    provider.shutdown()


def test_exporter_returns_failure_instead_of_raising(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    exporter = SpanwiseStoreExporter(f"sqlite:///{blocker}/sub/traces.db")
    provider = TracerProvider()
    tracer = provider.get_tracer("app")
    with tracer.start_as_current_span("s") as span:
        pass
    assert exporter.export([span]).name == "FAILURE"  # type: ignore[list-item]
    exporter.shutdown()


def test_unopenable_store_keeps_the_app_running(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("SPANWISE_RAISE_INTERNAL_ERRORS", "0")
    spanwise.set_tracking_uri(blocker / "sub" / "traces.db")
    with caplog.at_level(logging.WARNING, logger="spanwise"):
        trace_id = _run_agent()
        spanwise.flush()
    assert "cannot open the trace store" in caplog.text
    assert spanwise.get_trace(trace_id) is not None  # still in memory
    with pytest.raises(RuntimeError, match="cannot be opened"):
        spanwise.search_traces(return_type="list")


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'x.db'}"
    store = SqlTraceStore(uri)
    with store._engine.begin() as conn:  # pyright: ignore[reportPrivateUsage]
        conn.exec_driver_sql("UPDATE spanwise_meta SET value = '999' WHERE key = 'schema_version'")
    with pytest.raises(StoreSchemaError, match="newer than this spanwise"):
        SqlTraceStore(uri)


WRITER = textwrap.dedent(
    """
    import sys, spanwise
    spanwise.set_tracking_uri(sys.argv[1])

    @spanwise.trace
    def child(i):
        return i

    @spanwise.trace
    def work(worker, i):
        spanwise.update_current_trace(tags={"worker": worker})
        return child(i)

    for i in range(int(sys.argv[3])):
        work(sys.argv[2], i)
    """
)


@pytest.mark.slow
def test_four_processes_writing_one_store_lose_nothing(tmp_path: Path) -> None:
    db = tmp_path / "shared.db"
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    count = 250  # per process (full scale, 4 x 2000: /tmp/h4-store/four_writers.py)
    names = ("a", "b", "c", "d")
    procs = [
        subprocess.Popen([sys.executable, str(script), str(db), name, str(count)]) for name in names
    ]
    for proc in procs:
        assert proc.wait(timeout=120) == 0
    store = SqlTraceStore(f"sqlite:///{db}")
    assert store.count() == len(names) * count
    rows = store.search([], [], None)
    assert len(rows) == len(names) * count
    assert all(len(t.data.spans) == 2 for t in rows)
    workers = [t.info.tags["worker"] for t in rows]
    assert all(workers.count(name) == count for name in names)
    store.close()


KILLED = textwrap.dedent(
    """
    import sys
    from spanwise.store._sql import SqlTraceStore

    store = SqlTraceStore("sqlite:///" + sys.argv[1])
    batch = 0
    while True:  # until killed
        records = []
        for t in range(20):
            trace_id = f"{batch * 20 + t + 1:032x}"
            for s in (1, 2, 3):
                records.append({
                    "v": 1, "trace_id": trace_id, "span_id": f"{s:016x}",
                    "parent_id": None if s == 1 else f"{1:016x}", "remote_parent": False,
                    "name": f"s{s}", "start": 1_000_000_000 + s, "end": 2_000_000_000,
                    "status": "OK", "message": "", "attributes": {"k": "v" * 2000},
                    "events": [],
                })
        store.write_records(records)
        print(batch, flush=True)  # acknowledged: the write returned
        batch += 1
    """
)


@pytest.mark.slow
def test_kill_9_mid_write_leaves_a_sound_store_with_every_acknowledged_span(
    tmp_path: Path,
) -> None:
    import signal
    import sqlite3

    db = tmp_path / "killed.db"
    script = tmp_path / "killed.py"
    script.write_text(KILLED)
    proc = subprocess.Popen(
        [sys.executable, str(script), str(db)], stdout=subprocess.PIPE, text=True
    )
    acknowledged = -1
    try:
        assert proc.stdout is not None
        for line in proc.stdout:  # bounded: killed after 30 acknowledged batches
            acknowledged = int(line)
            if acknowledged >= 30:
                break
        # Killed mid-write: the child is already inside its next batch's transaction.
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
    assert acknowledged >= 30
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    store = SqlTraceStore(f"sqlite:///{db}")
    try:
        stored = {
            (t.info.trace_id, s.span_id) for t in store.search([], [], None) for s in t.data.spans
        }
    finally:
        store.close()
    acked = {
        (f"tr-{b * 20 + t + 1:032x}", f"{s:016x}")
        for b in range(acknowledged + 1)
        for t in range(20)
        for s in (1, 2, 3)
    }
    assert acked <= stored
    # Whole batches only: a transaction cut short by the kill left nothing behind.
    assert len(stored) % 60 == 0


def _record(trace: int) -> dict[str, Any]:
    return {
        "v": 1,
        "trace_id": f"{trace:032x}",
        "span_id": f"{trace:016x}",
        "parent_id": None,
        "remote_parent": False,
        "name": "root",
        "start": 1_000_000_000,
        "end": 2_000_000_000,
        "status": "OK",
        "message": "",
        "attributes": {},
        "events": [],
    }


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_writes_through_its_own_connections(tmp_path: Path) -> None:
    # The store pools its connections; a child forked while the parent holds some must
    # open its own (a SQLite handle shared by two processes corrupts locking).
    store = SqlTraceStore(f"sqlite:///{tmp_path / 'fork.db'}")
    store.write_records([_record(1)])  # the parent now has a pooled connection
    engine = store._engine  # pyright: ignore[reportPrivateUsage]
    pooled = engine.raw_connection()
    parents = pooled.dbapi_connection
    pooled.close()  # back into the pool
    pid = os.fork()
    if pid == 0:  # the child: write, report by exit code, never return into pytest
        code = 1
        try:
            mine = engine.raw_connection()
            if mine.dbapi_connection is parents:
                os._exit(3)
            mine.close()
            store.write_records([_record(t) for t in range(2, 12)])
            code = 0 if store.count() >= 11 else 2  # the parent may have written too
        finally:
            os._exit(code)
    store.write_records([_record(t) for t in range(12, 22)])  # the parent, concurrently
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert store.count() == 21
    store.close()
    store.close()  # idempotent


@pytest.mark.postgres
def test_postgresql_store(postgres_url: str) -> None:
    from sqlalchemy import create_engine, text

    database = "spanwise_test"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {database}"))
        conn.execute(text(f"CREATE DATABASE {database}"))
    admin.dispose()
    url = postgres_url.rsplit("/", 1)[0] + "/" + database
    spanwise.set_tracking_uri(url)
    ids = [_run_agent(i) for i in range(3)]
    spanwise.flush()
    store = get_store()
    assert store is not None and store.uri.startswith("postgresql")
    assert store.count() == 3
    stored = store.get_trace(ids[1])
    in_memory = spanwise.get_trace(ids[1])
    assert stored is not None and in_memory is not None
    assert stored.to_dict() == in_memory.to_dict()
    # A second writer on the same database (as another process would be).
    other = SqlTraceStore(url)
    assert other.count() == 3
    store.close()
    other.close()


def test_a_store_of_another_schema_is_a_clear_error(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:  # a pre-release build's traces table
        conn.execute("CREATE TABLE traces (trace_id TEXT PRIMARY KEY, name TEXT, state TEXT)")
    uri = f"sqlite:///{path}"
    with pytest.raises(StoreSchemaError, match=r"table traces lacks .*start_time_ns"):
        SqlTraceStore(uri)
