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

What an error records is decided here, once, for every span (:func:`error_record`): the
exception's text (status description, ``exception.message``, ``exception.stacktrace``)
has key-shaped secrets redacted (``common/_redact``), and under the hard off
(``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=false``, which explicit code cannot
override) only the exception's type is recorded: no message (it can carry the prompt, a
tool's arguments or a user's input), and a stack trace of frames only. Metadata-only
spans (zero-code's default) keep the redacted message, as OTel's own instrumentations
do: a provider's error text is what an operator needs; the hard off is for those who
cannot risk it.
"""

from __future__ import annotations

import traceback
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Status, StatusCode

from spanwise.common._content import content_settings
from spanwise.common._redact import redact
from spanwise.common._safety import report_internal_error
from spanwise.semconv import ErrorAttributes, ExceptionAttributes

__all__ = ["NOT_ERRORS", "SpanRun", "error_record", "exception_type"]

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
            self.span.set_attribute(ErrorAttributes.TYPE, type(error).__qualname__)
            event, description = error_record(error, with_message=self._records_content())
            self.span.add_event(ExceptionAttributes.EVENT_NAME, event)
            self.span.set_status(Status(StatusCode.ERROR, description))
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

    def _records_content(self) -> bool:
        """Whether this span's error may record its message: yes unless content is off
        everywhere (the hard off)."""
        return content_settings().capture(explicit=True)

    def _on_success(self) -> None:
        """Before a successful end (e.g. the manual API's OK status)."""

    def _on_end(self, error: BaseException | None) -> None:
        """Just before the span ends, either way (e.g. metrics)."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({getattr(self.span, 'name', '')!r})"


# -- what an error records -------------------------------------------------------------------


def exception_type(error: BaseException) -> str:
    """``exception.type`` as the OTel SDK writes it: ``module.QualName`` (builtins bare)."""
    kind = type(error)
    module = kind.__module__
    return f"{module}.{kind.__qualname__}" if module and module != "builtins" else kind.__qualname__


def _text(error: BaseException) -> str:
    try:
        return str(error)
    except Exception:  # an exception whose __str__ fails
        return f"<{type(error).__name__} (unprintable)>"


def _frames_only(error: BaseException) -> str:
    """The stack trace with each exception's type but not its message (nor notes)."""
    chain: list[BaseException] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append(current)
        cause = current.__cause__
        current = (
            cause
            if cause is not None
            else (None if current.__suppress_context__ else current.__context__)
        )
    out: list[str] = []
    previous: BaseException | None = None
    for exc in reversed(chain):  # the oldest first, as Python prints them
        if previous is not None:
            out.append(
                "\nThe above exception was the direct cause of the following exception:\n\n"
                if exc.__cause__ is previous
                else "\nDuring handling of the above exception, another exception occurred:\n\n"
            )
        previous = exc
        if exc.__traceback__ is not None:
            out.append("Traceback (most recent call last):\n")
            out.extend(traceback.format_tb(exc.__traceback__))
        out.append(exception_type(exc) + "\n")
    return "".join(out)


def error_record(error: BaseException, *, with_message: bool) -> tuple[dict[str, Any], str]:
    """An ``exception`` event's attributes and the status description for ``error``.

    With the message: the message, the description ``"Type: message"`` and the whole
    stack trace, secrets redacted. Without (content capture off): the type alone, and the
    stack trace's frames and exception types."""
    event: dict[str, Any] = {ExceptionAttributes.TYPE: exception_type(error)}
    if with_message:
        message = _text(error)
        event[ExceptionAttributes.MESSAGE] = redact(message)
        try:
            stack = "".join(traceback.format_exception(error))
        except Exception:  # a failing __str__ anywhere in the chain
            stack = _frames_only(error)
        event[ExceptionAttributes.STACKTRACE] = redact(stack)
        description = redact(f"{type(error).__name__}: {message}")
    else:
        event[ExceptionAttributes.STACKTRACE] = _frames_only(error)
        description = type(error).__name__
    event[ExceptionAttributes.ESCAPED] = "False"
    return event, description
