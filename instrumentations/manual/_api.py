"""``start_span``, ``get_current_active_span``, ``update_current_trace`` and the
context helper for executors."""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable, Generator, Mapping
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar

from opentelemetry import trace
from opentelemetry.trace import INVALID_SPAN

from spanwise.common._content import content_settings
from spanwise.common._safety import report_internal_error, warn_once
from spanwise.common._serialize import dumps_bounded
from spanwise.model._conversation import CONVERSATION_KEY, SESSION_METADATA
from spanwise.model._model import PREVIEW_CHARS
from spanwise.semconv import (
    GenAIAttributes,
    MLflowAttributes,
    SpanType,
    SpanwiseAttributes,
    UserAttributes,
)

from .. import _tracer
from .._tracer import local_root_span
from ._run import Run, SpanSpec, span_name, span_type_name, static_attributes
from ._span import LiveSpan

__all__ = [
    "get_current_active_span",
    "start_span",
    "update_current_trace",
    "with_current_context",
]

P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def start_span(
    name: str = "span",
    span_type: SpanType | str = SpanType.UNKNOWN,
    attributes: Mapping[str, Any] | None = None,
) -> Generator[LiveSpan, None, None]:
    """A span around a block: ``with spanwise.start_span("step") as span: ...``.

    A ``name`` that is not a string is fixed, not refused (``None`` becomes ``"span"``,
    other values their ``str()``; a warning says so once): the block always runs.
    The span is current inside the block; set its data with ``span.set_inputs()``,
    ``span.set_outputs()``, ``span.set_attribute()``. An exception leaving the block is
    recorded and re-raised unchanged.
    """
    kind = span_type_name(span_type)
    run = None
    try:
        name = span_name(name)
        run = Run.start(SpanSpec(name, kind, static_attributes(name, kind, attributes)))
    except Exception as exc:
        report_internal_error("start_span", exc)
    if run is None:
        yield LiveSpan(INVALID_SPAN, kind)
        return
    with run:
        yield run.live
    run.succeed(has_outputs=False)


def get_current_active_span() -> LiveSpan | None:
    """The current span (from spanwise or any OpenTelemetry instrumentation), or None."""
    span = trace.get_current_span()
    if not span.is_recording():
        return None
    attributes: Mapping[str, Any] = getattr(span, "attributes", None) or {}
    return LiveSpan(span, str(attributes.get(SpanwiseAttributes.SPAN_TYPE, SpanType.UNKNOWN.value)))


def update_current_trace(
    tags: Mapping[str, Any] | None = None,
    metadata: Mapping[str, Any] | None = None,
    request_preview: str | None = None,
    response_preview: str | None = None,
    client_request_id: str | None = None,
    *,
    session_id: str | None = None,
    user_id: str | None = None,
) -> None:
    """Add tags and metadata to the current trace, from any depth of it.

    They are stored on the trace's local root span as ``spanwise.trace.tags.<key>`` and
    ``spanwise.trace.metadata.<key>`` (string values), so OTel backends can search them.
    The request and response previews are content: with content capture off, they are
    not recorded.

    ``session_id`` names the conversation the trace is a turn of: the trace metadata
    ``mlflow.trace.session`` (MLflow's sessions) and ``gen_ai.conversation.id`` on the root
    span; ``metadata={"session": ...}`` names it too. ``user_id`` is the trace metadata
    ``mlflow.trace.user`` and ``user.id`` on the root span.
    """
    span = trace.get_current_span()
    if not span.is_recording():
        if not _tracer.enabled:  # tracing is off: nothing to record, nothing to warn of
            return
        warn_once(
            "update_current_trace",
            "spanwise: update_current_trace() called outside an active trace; nothing recorded",
        )
        return
    try:
        root = local_root_span(span)
        attrs: dict[str, str] = {}
        for key, value in (tags or {}).items():
            attrs[SpanwiseAttributes.TRACE_TAG_PREFIX + str(key)] = _as_str(value)
        for key, value in (metadata or {}).items():
            attrs[SpanwiseAttributes.TRACE_METADATA_PREFIX + str(key)] = _as_str(value)
        attrs.update(trace_context_attributes(metadata, session_id, user_id))
        if content_settings().capture(explicit=True):  # previews are content
            if request_preview is not None:
                attrs[SpanwiseAttributes.TRACE_REQUEST_PREVIEW] = request_preview[:PREVIEW_CHARS]
            if response_preview is not None:
                attrs[SpanwiseAttributes.TRACE_RESPONSE_PREVIEW] = response_preview[:PREVIEW_CHARS]
        if client_request_id is not None:
            attrs[SpanwiseAttributes.TRACE_CLIENT_REQUEST_ID] = client_request_id
        if not root.is_recording():
            warn_once(
                "update_current_trace:ended",
                "spanwise: the trace's root span has already ended; tags not recorded",
            )
            return
        root.set_attributes(attrs)
    except Exception as exc:
        report_internal_error("update_current_trace", exc)


_META = SpanwiseAttributes.TRACE_METADATA_PREFIX


def trace_context_attributes(
    metadata: Mapping[str, Any] | None, session_id: Any, user_id: Any
) -> dict[str, str]:
    """The root span's attributes for a trace's session (conversation) and user. The
    session is ``session_id``, else the metadata's ``mlflow.trace.session`` or
    ``session`` (what users write by hand)."""
    attrs: dict[str, str] = {}
    session: Any = session_id
    if session_id is not None:
        attrs[_META + CONVERSATION_KEY] = _as_str(session_id)
    else:
        given = metadata or {}
        session = given.get(CONVERSATION_KEY, given.get(SESSION_METADATA))
    if session is not None and session != "":
        attrs[GenAIAttributes.CONVERSATION_ID] = _as_str(session)
    if user_id is not None:
        attrs[_META + MLflowAttributes.TRACE_USER] = _as_str(user_id)
        attrs[UserAttributes.ID] = _as_str(user_id)
    return attrs


def _as_str(value: Any) -> str:
    if isinstance(value, str):
        return value
    return dumps_bounded(value, content_settings().max_bytes)


def with_current_context(fn: Callable[P, R]) -> Callable[P, R]:
    """Carry the current trace into another thread: ``pool.submit(with_current_context(f), x)``.

    Threads start with an empty context, so spans made in a worker would start new traces;
    the returned callable runs ``fn`` in a copy of the caller's context instead.
    """
    captured = contextvars.copy_context()

    @functools.wraps(fn)
    def run_in_context(*args: P.args, **kwargs: P.kwargs) -> R:
        # A Context can be entered by one thread at a time: each call gets its own copy.
        return captured.copy().run(fn, *args, **kwargs)

    return run_in_context
