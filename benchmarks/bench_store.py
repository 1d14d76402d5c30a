"""The store: ingest rate (spans/s) and search over 100,000 stored traces."""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from spanwise.model._records import SpanRecord
from spanwise.store._filter import parse_filter, parse_order_by
from spanwise.store._sql import SqlTraceStore


def _trace_records(i: int, spans_per_trace: int) -> list[SpanRecord]:
    """One trace as the writer stores it: an AGENT root and tool/chat children."""
    trace_id = f"{i + 1:032x}"
    start = 1_700_000_000_000_000_000 + i * 1_000_000_000
    root_id = f"{(i + 1) * 100:016x}"
    records: list[SpanRecord] = [
        {
            "v": 1,
            "trace_id": trace_id,
            "span_id": root_id,
            "parent_id": None,
            "remote_parent": False,
            "name": "agent",
            "start": start,
            "end": start + 250_000_000 + (i % 1000) * 1_000_000,
            "status": "ERROR" if i % 50 == 0 else "OK",
            "message": "",
            "attributes": {
                "spanwise.span.type": "AGENT",
                "spanwise.span.inputs": f'{{"question":"question {i}"}}',
                "spanwise.span.outputs": f'{{"answer":"answer {i}"}}',
                "spanwise.trace.tags.user": f"u{i % 1000}",
                "spanwise.trace.tags.env": "prod" if i % 2 else "dev",
                "spanwise.trace.metadata.session": f"s{i % 5000}",
            },
            "events": [],
        }
    ]
    for j in range(1, spans_per_trace):
        tool = j % 2 == 1
        records.append(
            {
                "v": 1,
                "trace_id": trace_id,
                "span_id": f"{(i + 1) * 100 + j:016x}",
                "parent_id": root_id,
                "remote_parent": False,
                "name": "tool" if tool else "chat",
                "start": start + j * 1_000_000,
                "end": start + j * 2_000_000,
                "status": "OK",
                "message": "",
                "attributes": {
                    "spanwise.span.type": "TOOL" if tool else "CHAT_MODEL",
                    "gen_ai.tool.call.arguments": f'{{"x":{j}}}',
                    "gen_ai.tool.call.result": f'{{"y":{j}}}',
                }
                if tool
                else {"spanwise.span.type": "CHAT_MODEL", "gen_ai.request.model": "m"},
                "events": [],
            }
        )
    return records


def ingest(traces: int = 4000, spans_per_trace: int = 5, batch_traces: int = 400) -> dict[str, Any]:
    """Spans per second through SqlTraceStore.write_records (one transaction per batch)."""
    directory = Path(tempfile.mkdtemp(prefix="spanwise-bench-store-"))
    store = SqlTraceStore(f"sqlite:///{directory / 'ingest.db'}")
    batches = [
        [
            r
            for i in range(b, min(b + batch_traces, traces))
            for r in _trace_records(i, spans_per_trace)
        ]
        for b in range(0, traces, batch_traces)
    ]
    start = time.perf_counter()
    for batch in batches:
        store.write_records(batch)
    elapsed = time.perf_counter() - start
    assert store.count() == traces
    return {
        "what": f"store ingest ({traces} traces x {spans_per_trace} spans, SQLite)",
        "result": f"{traces * spans_per_trace / elapsed:,.0f} spans/s",
    }


def pipeline(traces: int = 2000) -> dict[str, Any]:
    """End to end: @spanwise.trace spans -> assembler -> writer thread -> SQLite."""
    import os

    os.environ.setdefault(
        "SPANWISE_TRACKING_URI", str(Path(tempfile.mkdtemp(prefix="spanwise-bench-")) / "p.db")
    )
    import spanwise

    @spanwise.trace(span_type="TOOL")
    def tool(x: int) -> int:
        return x

    @spanwise.trace(span_type="AGENT")
    def agent(i: int) -> int:
        return sum(tool(i + k) for k in range(4))

    spanwise.flush()
    start = time.perf_counter()
    for i in range(traces):
        agent(i)
    spanwise.flush(timeout=300)
    elapsed = time.perf_counter() - start
    return {
        "what": f"traced calls to stored spans ({traces} traces x 5 spans, end to end)",
        "result": f"{traces * 5 / elapsed:,.0f} spans/s",
    }


def search(total: int = 100_000, repeats: int = 15) -> list[dict[str, Any]]:
    """Filters over ``total`` stored traces: the whole call (ids, then the traces loaded
    and built) and the search alone (``search_ids``). ``python bench_store.py search
    1000000`` for the 1M-trace figures (the fill takes a few minutes)."""
    directory = Path(tempfile.mkdtemp(prefix="spanwise-bench-search-"))
    store = SqlTraceStore(f"sqlite:///{directory / 'search.db'}")
    start = time.perf_counter()
    batch = 2000
    for b in range(0, total, batch):
        store.write_records(
            [r for i in range(b, min(b + batch, total)) for r in _trace_records(i, 2)]
        )
    fill = time.perf_counter() - start
    order = parse_order_by(None)
    rows: list[dict[str, Any]] = [
        {
            "what": f"fill: {total:,} traces x 2 spans",
            "result": f"{fill:.1f} s ({total * 2 / fill:,.0f} spans/s)",
        }
    ]
    cases = [
        ("tags.user = 'u42'", None),
        ("tags.user = 'u42' AND execution_time_ms > 500", None),
        ("tags.env = 'prod'", 100),
        ("status = 'ERROR' AND span.type = 'TOOL'", 100),
        ("metadata.session = 's17'", None),
    ]
    for text, limit in cases:
        comparisons = parse_filter(text)
        timings: list[float] = []
        ids: list[float] = []
        found = 0
        for _ in range(repeats):  # interleaved: the same cache state for both
            t0 = time.perf_counter()
            found = len(store.search(comparisons, order, limit))
            t1 = time.perf_counter()
            store.search_ids(comparisons, order, limit)
            ids.append((time.perf_counter() - t1) * 1000)
            timings.append((t1 - t0) * 1000)
        rows.append(
            {
                "what": f"search `{text}`" + (f" max_results={limit}" if limit else ""),
                "result": f"{statistics.median(timings):.1f} ms median "
                f"({min(timings):.1f}-{max(timings):.1f}), {found} traces; "
                f"ids alone {statistics.median(ids):.1f} ms",
            }
        )
    return rows


def _long_trace_records(n: int, trace: int = 0) -> list[SpanRecord]:
    """One agent trace of ``n`` spans in the order an OTel SDK exports them: every step's
    children before the step, the root last. Steps hang off the root, calls off steps."""
    trace_id = f"{0xABC000 + trace:032x}"
    base = 1_700_000_000_000_000_000 + trace * 10**12
    root_id = f"{(trace + 1) << 32:016x}"
    out: list[SpanRecord] = []
    step_id = root_id
    pending: list[SpanRecord] = []
    for j in range(1, n):
        span_id = f"{((trace + 1) << 32) + j:016x}"
        start = base + j * 1_000_000
        is_step = j % 5 == 1
        record: SpanRecord = {
            "v": 1,
            "trace_id": trace_id,
            "span_id": span_id,
            "parent_id": root_id if is_step else step_id,
            "remote_parent": False,
            "name": "step" if is_step else "chat",
            "start": start,
            "end": start + 4_500_000 if is_step else start + 500_000,
            "status": "OK",
            "message": "",
            "attributes": {"spanwise.span.type": "CHAIN"}
            if is_step
            else {"spanwise.span.type": "CHAT_MODEL", "gen_ai.request.model": "m"},
            "events": [],
        }
        if is_step:
            out.extend(pending)
            pending = [record]
            step_id = span_id
        else:
            out.append(record)  # a call ends before its step
    out.extend(pending)
    out.append(
        {
            "v": 1,
            "trace_id": trace_id,
            "span_id": root_id,
            "parent_id": None,
            "remote_parent": False,
            "name": "agent",
            "start": base,
            "end": base + (n + 1) * 1_000_000,
            "status": "OK",
            "message": "",
            "attributes": {
                "spanwise.span.type": "AGENT",
                "spanwise.span.inputs": '{"task":"long"}',
                "spanwise.trace.tags.kind": "long",
            },
            "events": [],
        }
    )
    return out


def _rate(uri: str, batches: list[list[SpanRecord]]) -> float:
    store = SqlTraceStore(uri)
    try:
        start = time.perf_counter()
        for batch in batches:
            store.write_records(batch)
        elapsed = time.perf_counter() - start
    finally:
        store.close()
    return sum(map(len, batches)) / elapsed


def long_trace(
    n: int = 20_000,
    batches: int = 80,
    uri: str | None = None,
    label: str = "SQLite",
    rounds: int = 3,
) -> dict[str, Any]:
    """One trace of ``n`` spans in ``batches`` writes against ``batches`` traces of
    ``n / batches`` spans, one write each: the first costs O(n) only if a write touches
    only the spans that arrived (target: at least 0.7x the second). Rounds interleaved,
    each on a fresh SQLite file (PostgreSQL: one database, other trace ids), medians."""
    size = n // batches
    rates: dict[str, list[float]] = {"one": [], "many": []}
    for r in range(rounds):
        one = _long_trace_records(n, trace=r * 1000)
        data = {
            "many": [_long_trace_records(size, trace=r * 1000 + t + 1) for t in range(batches)],
            "one": [one[i : i + size] for i in range(0, n, size)],
        }
        for name in ("many", "one") if r % 2 == 0 else ("one", "many"):
            if uri is None:
                directory = Path(tempfile.mkdtemp(prefix="spanwise-bench-long-"))
                target = f"sqlite:///{directory / 'long.db'}"
            else:
                target = uri
            rates[name].append(_rate(target, data[name]))
    one_rate, many_rate = statistics.median(rates["one"]), statistics.median(rates["many"])
    return {
        "what": f"one trace of {n:,} spans in {batches} writes vs {batches} traces ({label})",
        "result": f"{one_rate:,.0f} vs {many_rate:,.0f} spans/s ({one_rate / many_rate:.2f}x)",
    }


def long_traces() -> list[dict[str, Any]]:
    """The long-trace comparison on SQLite, and on PostgreSQL when
    SPANWISE_BENCH_POSTGRES_URL names a database (or tests/_lib/pg.py can start one)."""
    import os

    rows = [long_trace()]
    url = os.environ.get("SPANWISE_BENCH_POSTGRES_URL")
    server = None
    if url is None:
        sys.path.insert(0, str(Path(__file__).parent.parent / "tests" / "_lib"))
        try:
            from pg import PostgresServer

            server = PostgresServer()
            url = server.start()
        except Exception:  # no PostgreSQL here: the SQLite row only
            server = None
    if url is not None:
        try:
            rows.append(long_trace(uri=url, label="PostgreSQL"))
        finally:
            if server is not None:
                server.stop()
    return rows


if __name__ == "__main__":
    which = sys.argv[1] if len(sys.argv) > 1 else "20000"
    if which == "search":
        for row in search(int(sys.argv[2]) if len(sys.argv) > 2 else 100_000):
            print(row)
    else:
        print(long_traces() if which == "all" else long_trace(int(which)))
