"""The one span lifecycle under every spanwise span: start, current, record, end or fail.

``@trace``, ``start_span``, ``Client`` and every instrumentor run their spans through
:class:`SpanRun`; the never-break boundary is here, once:

* ``with run:`` makes the span current while the wrapped code runs; an exception leaving
  the block is recorded on the span (``error.type``, status ERROR, an ``exception``
  event), the span ends, and the exception propagates unchanged;
* success is the caller's to record (outputs, a response, a stream) and ends the span
  with :meth:`SpanRun.end_ok`;
* the span ends exactly once, whatever calls come after;
* spanwise's own errors in here are reported (``_safety``) and never reach the caller.
"""

from __future__ import annotations

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Status, StatusCode

from spanwise.common._safety import report_internal_error
from spanwise.semconv import ErrorAttributes

__all__ = ["NOT_ERRORS", "SpanRun"]

# Raised to end iteration, not failures: a traced __next__ that raises StopIteration, or a
# generator closed early, ends normally.
NOT_ERRORS = (StopIteration, StopAsyncIteration, GeneratorExit)


class SpanRun:
    """One span from start to end. Subclasses add what their kind records."""

    __slots__ = ("_ended", "_token", "span")

    def __init__(self, span: trace.Span) -> None:
        self.span = span
        self._token: object | None = None
        self._ended = False

    # -- current-ness ----------------------------------------------------------------------

    def enter(self) -> None:
        """Make the span current in this context (until :meth:`exit`)."""
        try:
            self._token = otel_context.attach(trace.set_span_in_context(self.span))
        except Exception as exc:
            report_internal_error("span enter", exc)

    def exit(self) -> None:
        token, self._token = self._token, None
        if token is not None:
            try:
                otel_context.detach(token)  # type: ignore[arg-type]
            except Exception as exc:
                report_internal_error("span exit", exc)

    def __enter__(self) -> SpanRun:
        self.enter()
        return self

    def __exit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None:
        self.exit()
        if exc is not None:
            self.fail(exc)

    # -- end -------------------------------------------------------------------------------

    @property
    def ended(self) -> bool:
        return self._ended

    def end_ok(self, end_time: int | None = None) -> None:
        """End as a success (the status is the kind's: see :meth:`_on_success`)."""
        if self._ended:
            return
        try:
            self._on_success()
        except Exception as exc:
            report_internal_error("span success", exc)
        self._end(None, end_time)

    def fail(self, error: BaseException) -> None:
        """End as failed. Also for KeyboardInterrupt and cancellation, which end the span
        honestly; the end of an iteration is not a failure."""
        if self._ended:
            return
        if isinstance(error, NOT_ERRORS):
            self.end_ok()
            return
        try:
            kind = type(error).__qualname__
            self.span.set_attribute(ErrorAttributes.TYPE, kind)
            self.span.record_exception(error)
            self.span.set_status(Status(StatusCode.ERROR, f"{type(error).__name__}: {error}"))
        except Exception as exc:
            report_internal_error("span failure", exc)
        self._end(error, None)

    def _end(self, error: BaseException | None, end_time: int | None) -> None:
        self._ended = True
        try:
            self._on_end(error)
        except Exception as exc:
            report_internal_error("span end", exc)
        try:
            self.span.end(end_time)
        except Exception as exc:
            report_internal_error("span end", exc)

    # -- what a kind adds --------------------------------------------------------------------

    def _on_success(self) -> None:
        """Before a successful end (e.g. the manual API's OK status)."""

    def _on_end(self, error: BaseException | None) -> None:
        """Just before the span ends, either way (e.g. metrics)."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({getattr(self.span, 'name', '')!r})"
