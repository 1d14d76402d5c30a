"""The store: ingest rate (spans/s) and search over 100,000 stored traces."""

from __future__ import annotations

import statistics
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
        found = 0
        for _ in range(repeats):
            t0 = time.perf_counter()
            found = len(store.search(comparisons, order, limit))
            timings.append((time.perf_counter() - t0) * 1000)
        rows.append(
            {
                "what": f"search `{text}`" + (f" max_results={limit}" if limit else ""),
                "result": f"{statistics.median(timings):.1f} ms median ({min(timings):.1f}-{max(timings):.1f}), {found} traces",
            }
        )
    return rows
