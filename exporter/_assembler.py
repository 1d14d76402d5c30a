"""``TraceAssembler``: the span processor that groups spans into traces in process.

It runs on the application's thread (``on_end``), so it only files the span under its
trace: translation happens on demand (``get_trace``) or in the store writer's thread.
When a trace's local root ends, the trace is finished: it stays in a bounded in-memory
LRU for ``get_trace`` and goes to the sink (the store writer), if one is set.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor
from opentelemetry.trace import Span as OTelSpan

from spanwise.common._safety import report_internal_error, warn_once
from spanwise.model._model import Trace
from spanwise.model._records import record_from_otel
from spanwise.model._translate import build_trace

__all__ = ["TraceAssembler"]

Sink = Callable[[Sequence[ReadableSpan]], None]


def _is_local_root(span: ReadableSpan) -> bool:
    parent = span.parent
    return parent is None or parent.is_remote


class TraceAssembler(SpanProcessor):
    """Groups ended spans by trace; keeps the last ``max_traces`` finished traces."""

    def __init__(
        self,
        sink: Sink | None = None,
        *,
        max_traces: int = 1000,
        max_open_traces: int = 10_000,
        max_spans_per_trace: int = 10_000,
    ) -> None:
        self._sink = sink
        self._max_traces = max_traces
        self._max_open = max_open_traces
        self._max_spans = max_spans_per_trace
        self._lock = threading.Lock()
        self._open: dict[int, list[ReadableSpan]] = {}
        self._finished: OrderedDict[int, list[ReadableSpan]] = OrderedDict()
        self._translated: dict[int, Trace] = {}
        # Local roots still open, so update_current_trace() can reach them from any depth.
        self._roots: dict[int, OTelSpan] = {}
        self._last_trace_id: int | None = None
        self._thread_last = threading.local()
        self._shutdown = False

    def set_sink(self, sink: Sink | None) -> None:
        self._sink = sink

    # -- SpanProcessor -----------------------------------------------------------------

    def on_start(self, span: OTelSpan, parent_context: Context | None = None) -> None:
        if isinstance(span, ReadableSpan) and _is_local_root(span):
            roots = self._roots
            roots[span.get_span_context().trace_id] = span
            if len(roots) > self._max_open:  # roots that never end must not pile up
                with self._lock:
                    while len(roots) > self._max_open:
                        del roots[next(iter(roots))]

    def on_end(self, span: ReadableSpan) -> None:
        try:
            self._on_end(span)
        except Exception as exc:
            report_internal_error("trace assembler", exc)

    def _on_end(self, span: ReadableSpan) -> None:
        context = span.context
        if context is None or self._shutdown:
            return
        trace_id = context.trace_id
        root = _is_local_root(span)
        finished: Sequence[ReadableSpan] | None = None
        evicted: list[ReadableSpan] | None = None
        with self._lock:
            bucket = self._open.get(trace_id)
            if bucket is None:
                late = self._finished.get(trace_id)
                if late is not None:  # a span that outlived its trace's root
                    late.append(span)
                    self._translated.pop(trace_id, None)
                    finished = list(late)
                elif root:  # a trace of one span (a lone model call): no bucket needed
                    self._finish(trace_id, [span])
                    finished = (span,)
                else:
                    if len(self._open) >= self._max_open:
                        evicted = self._evict_oldest_open()
                    self._open[trace_id] = [span]
            else:
                if len(bucket) < self._max_spans:
                    bucket.append(span)
                else:
                    warn_once(
                        "assembler:spans",
                        "spanwise: a trace has more than %d spans; further spans are kept "
                        "out of the in-process trace (they are still exported)",
                        self._max_spans,
                    )
                if root:
                    del self._open[trace_id]
                    self._finish(trace_id, bucket)
                    finished = list(bucket)  # the kept list may still take late spans
        sink = self._sink
        if sink is not None:
            if evicted:
                sink(evicted)
            if finished is not None:
                sink(finished)

    def _finish(self, trace_id: int, spans: list[ReadableSpan]) -> None:
        # Under the lock: the trace's root ended.
        self._roots.pop(trace_id, None)
        self._finished[trace_id] = spans
        self._finished.move_to_end(trace_id)
        while len(self._finished) > self._max_traces:
            old, _ = self._finished.popitem(last=False)
            self._translated.pop(old, None)
        self._last_trace_id = trace_id
        self._thread_last.trace_id = trace_id

    def _evict_oldest_open(self) -> list[ReadableSpan]:
        # Under the lock. A trace whose root never ended: hand what we have to the sink
        # (stored as IN_PROGRESS) rather than grow without bound.
        oldest = next(iter(self._open))
        warn_once(
            "assembler:open",
            "spanwise: more than %d traces are open at once; the oldest are written as in progress",
            self._max_open,
        )
        self._roots.pop(oldest, None)
        return self._open.pop(oldest)

    def shutdown(self) -> None:
        self._shutdown = True

    def flush_open(self) -> None:
        """Hand every trace whose root has not ended here to the sink (stored as in
        progress): at exit, and in a forked child, whose traces' roots end in the parent."""
        with self._lock:
            buckets = [spans for spans in self._open.values() if spans]
            self._open.clear()
        sink = self._sink
        if sink is not None:
            for spans in buckets:
                sink(spans)

    def after_fork_in_child(self) -> None:
        """A fresh lock (a thread of the parent may have held it); the spans of traces
        open at the fork are the parent's to write: the child keeps only its own."""
        self._lock = threading.Lock()
        for trace_id in list(self._open):
            self._open[trace_id] = []

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True

    # -- reading -----------------------------------------------------------------------

    def local_root(self, trace_id: int) -> OTelSpan | None:
        return self._roots.get(trace_id)

    def last_trace_id(self, thread_local: bool = False) -> int | None:
        if thread_local:
            value: Any = getattr(self._thread_last, "trace_id", None)
            return value
        return self._last_trace_id

    def get_trace(self, trace_id: int) -> Trace | None:
        """The finished trace, or the spans so far of an open one, or None."""
        with self._lock:
            cached = self._translated.get(trace_id)
            if cached is not None:
                self._finished.move_to_end(trace_id)
                return cached
            spans = self._finished.get(trace_id)
            done = spans is not None
            if spans is None:
                spans = self._open.get(trace_id)
            spans = list(spans) if spans else None
        if not spans:
            return None
        trace = build_trace(record_from_otel(s) for s in spans)
        if done:
            with self._lock:
                if trace_id in self._finished:
                    self._translated[trace_id] = trace
        return trace

    def finished_traces(self) -> list[Trace]:
        """Every finished trace held in memory, oldest first."""
        with self._lock:
            ids = list(self._finished)
        return [t for t in (self.get_trace(i) for i in ids) if t is not None]

    def clear(self) -> None:
        with self._lock:
            self._open.clear()
            self._finished.clear()
            self._translated.clear()
            self._roots.clear()
            self._last_trace_id = None
            self._thread_last = threading.local()
