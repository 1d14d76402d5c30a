"""``Client``: explicit start and end of traces and spans, by id.

For spans that start in one function (or callback) and end in another, where a
``with`` block or decorator cannot reach. Open spans are held in one process-wide
registry, so any ``Client()`` instance can end what another started.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from opentelemetry import trace
from opentelemetry.context import Context

from spanwise.common._ids import parse_span_id, parse_trace_id
from spanwise.common._safety import fork_safe_lock, logger
from spanwise.semconv import SpanType, SpanwiseAttributes

from ._run import Run, SpanSpec, span_name, span_type_name, static_attributes
from ._span import LiveSpan, to_status

__all__ = ["Client", "parse_span_id", "parse_trace_id"]


@dataclass(slots=True)
class _OpenTrace:
    root: Run
    # span id -> run, in start order (dicts keep insertion order).
    spans: dict[int, Run] = field(default_factory=dict[int, Run])


# The trace id of a non-recording span: what start_trace returns while tracing is off
# (spanwise.tracing.disable()); its spans start and end as no-ops, as MLflow's NoOpSpan.
_INERT = trace.INVALID_TRACE_ID
_lock = fork_safe_lock()  # released again in a forked child
_open: dict[int, _OpenTrace] = {}


class Client:
    """Start and end traces and spans explicitly, by id (MLflow's ``MlflowClient`` names)."""

    def start_trace(
        self,
        name: str,
        span_type: SpanType | str = SpanType.UNKNOWN,
        inputs: Any = None,
        attributes: Mapping[str, Any] | None = None,
        tags: Mapping[str, str] | None = None,
        start_time_ns: int | None = None,
    ) -> LiveSpan:
        """Start a new trace (always a new one, whatever span is current) and return its root."""
        name = span_name(name)
        kind = span_type_name(span_type)
        attrs = static_attributes(name, kind, attributes)
        for key, value in (tags or {}).items():
            attrs[SpanwiseAttributes.TRACE_TAG_PREFIX + str(key)] = str(value)
        run = self._start(SpanSpec(name, kind, attrs), inputs, Context(), start_time_ns)
        tid = run.span.get_span_context().trace_id
        if tid == _INERT:  # tracing is off (or spanwise failed): nothing to keep open
            return run.live
        with _lock:
            _open[tid] = _OpenTrace(run, {})
        return run.live

    def start_span(
        self,
        name: str,
        trace_id: str,
        parent_id: str,
        span_type: SpanType | str = SpanType.UNKNOWN,
        inputs: Any = None,
        attributes: Mapping[str, Any] | None = None,
        start_time_ns: int | None = None,
    ) -> LiveSpan:
        """Start a span under the open span ``parent_id`` of the open trace ``trace_id``."""
        name = span_name(name)
        tid, pid = parse_trace_id(trace_id), parse_span_id(parent_id)
        if tid == _INERT:  # under an inert root: inert too
            return Run(trace.INVALID_SPAN, span_type_name(span_type)).live
        with _lock:
            parent = self._find(tid, pid, trace_id, parent_id, role="parent_id")
        kind = span_type_name(span_type)
        run = self._start(
            SpanSpec(name, kind, static_attributes(name, kind, attributes)),
            inputs,
            trace.set_span_in_context(parent.span),
            start_time_ns,
        )
        with _lock:
            open_trace = _open.get(tid)
            if open_trace is None:  # ended meanwhile by another thread
                run.fail(RuntimeError(f"trace {trace_id} ended while this span started"))
                raise ValueError(f"Trace {trace_id!r} ended while the span was starting")
            open_trace.spans[run.span.get_span_context().span_id] = run
        return run.live

    def end_span(
        self,
        trace_id: str,
        span_id: str,
        outputs: Any = None,
        attributes: Mapping[str, Any] | None = None,
        status: Any = "OK",
        end_time_ns: int | None = None,
    ) -> None:
        """End an open span. Ending the root span ends the trace (as :meth:`end_trace`)."""
        tid, sid = parse_trace_id(trace_id), parse_span_id(span_id)
        status = to_status(status)  # validate before the span leaves the registry
        if tid == _INERT:
            return
        with _lock:
            run = self._find(tid, sid, trace_id, span_id, role="span_id")
            open_trace = _open[tid]
            if run is open_trace.root:
                is_root = True
            else:
                is_root = False
                del open_trace.spans[sid]
        if is_root:
            self.end_trace(trace_id, outputs, attributes, status, end_time_ns)
            return
        self._finish(run, outputs, attributes, status, end_time_ns)

    def end_trace(
        self,
        trace_id: str,
        outputs: Any = None,
        attributes: Mapping[str, Any] | None = None,
        status: Any = "OK",
        end_time_ns: int | None = None,
    ) -> None:
        """End the trace's root span. Spans still open in it are ended first, and a
        warning names them; they carry ``spanwise.span.auto_ended = true``."""
        tid = parse_trace_id(trace_id)
        status = to_status(status)
        if tid == _INERT:
            return
        with _lock:
            open_trace = _open.pop(tid, None)
        if open_trace is None:
            raise ValueError(
                f"Unknown trace_id {trace_id!r}: no open trace started by Client.start_trace "
                "has that id (it may have ended already)"
            )
        leftovers = list(open_trace.spans.values())
        if leftovers:
            logger.warning(
                "spanwise: end_trace(%s) ended %d span(s) that were still open: %s",
                trace_id,
                len(leftovers),
                ", ".join(f"{r.live.name} ({r.live.span_id})" for r in leftovers),
            )
            for run in reversed(leftovers):  # children before their parents
                run.span.set_attribute(SpanwiseAttributes.SPAN_AUTO_ENDED, True)
                run.succeed(has_outputs=False)
        self._finish(open_trace.root, outputs, attributes, status, end_time_ns)

    # -- helpers -----------------------------------------------------------------------

    @staticmethod
    def _start(spec: SpanSpec, inputs: Any, parent: Context, start_time_ns: int | None) -> Run:
        run = Run.start(spec, parent=parent, start_time=start_time_ns)
        if run is None:
            # spanwise failed internally; the caller still gets a usable (inert) span.
            return Run(trace.INVALID_SPAN, spec.span_type)
        if inputs is not None:
            run.live.set_inputs(inputs)
        return run

    @staticmethod
    def _find(tid: int, sid: int, trace_id: str, span_id: str, *, role: str) -> Run:
        open_trace = _open.get(tid)
        if open_trace is None:
            raise ValueError(
                f"Unknown trace_id {trace_id!r}: no open trace started by Client.start_trace "
                "has that id (it may have ended already)"
            )
        if open_trace.root.span.get_span_context().span_id == sid:
            return open_trace.root
        run = open_trace.spans.get(sid)
        if run is None:
            raise ValueError(
                f"Unknown {role} {span_id!r}: no open span with that id in trace {trace_id!r}"
            )
        return run

    @staticmethod
    def _finish(
        run: Run,
        outputs: Any,
        attributes: Mapping[str, Any] | None,
        status: Any,
        end_time_ns: int | None,
    ) -> None:
        if attributes:
            run.live.set_attributes(attributes)
        run.live.set_status(status)
        run.succeed(outputs, has_outputs=outputs is not None, end_time=end_time_ns)
