"""Bedrock's event streams: the proxy that ends the span, and what the events add up to.

``converse_stream`` returns ``{"stream": EventStream}`` whose events are Converse's
(``messageStart``, ``contentBlockStart/Delta/Stop``, ``messageStop``, ``metadata``);
``invoke_model_with_response_stream`` returns ``{"body": EventStream}`` whose events
carry the model's own chunks as JSON bytes (``{"chunk": {"bytes": ...}}``), the last
with Bedrock's ``amazon-bedrock-invocationMetrics`` (token counts for every family).

A botocore ``EventStream`` is iterable, not an iterator (its ``__iter__`` is a
generator), so the shared iterator proxy does not fit: :class:`EventStreamProxy` stands
in for it (``isinstance``, ``close()``, ``get_initial_response()`` work) and its
``__iter__`` is a generator too, which ends the span once, with what arrived: on
exhaustion, on an error event, on ``close()``, and when an abandoned iteration or stream
is garbage-collected. The hot path is a generator step and a list append an event; the
events are read when the stream ends, into the response a non-streamed call would have
returned, and recorded by the same extractors.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import wrapt  # pyright: ignore[reportMissingTypeStubs]

from spanwise.common._json import loads
from spanwise.semconv import GenAIAttributes as G

from .._llm import LLMCall
from .._stream import RecordingHandler
from . import _converse as converse
from ._accumulate import ACCUMULATORS, ConverseAccumulator, obj
from ._formats import Format, metered_usage

__all__ = ["ConverseStreamHandler", "EventStreamProxy", "InvokeStreamHandler"]


class EventHandler(RecordingHandler):
    """A stream's handler: it keeps the events as they pass (a list append, no Python
    frame an event) and reads them when the stream ends (``_record``)."""

    def __init__(self, call: LLMCall) -> None:
        super().__init__(call)
        self.events: list[Any] = []

    def _process_chunk(self, chunk: Any) -> None:
        self._first_chunk()
        self.events.append(chunk)


def _events(owner: Any, events: Iterator[Any], handler: EventHandler) -> Iterator[Any]:
    """The events of one iteration of the stream, kept for ``handler``; the span ends
    with the iteration, however it ends (a generator closed early, or collected
    unfinished, ends it too). ``owner`` (the proxy) lives as long as the iteration: a
    ``for`` loop over ``client.converse_stream(...)["stream"]`` keeps only this."""
    keep = handler.events.append  # the hot path: a generator step and a list append
    try:
        for event in events:  # the first event: time to first chunk
            handler._first_chunk()  # pyright: ignore[reportPrivateUsage]
            keep(event)
            yield event
            break
        for event in events:
            keep(event)
            yield event
    except GeneratorExit:
        handler.finish()
        raise
    except BaseException as exc:
        handler.finish(exc)
        raise
    handler.finish()


class EventStreamProxy(wrapt.ObjectProxy):  # type: ignore[misc]
    """A botocore ``EventStream`` whose iterations report to ``handler``. Like the
    ``EventStream``'s own ``__iter__``, each ``iter()`` gives a generator."""

    def __init__(self, wrapped: Any, handler: EventHandler) -> None:
        super().__init__(wrapped)  # pyright: ignore[reportUnknownMemberType]
        self._self_handler = handler

    def __iter__(self) -> Iterator[Any]:
        inner: Any = getattr(self, "__wrapped__")  # noqa: B009
        return _events(self, iter(inner), self._self_handler)

    def close(self) -> None:
        inner: Any = getattr(self, "__wrapped__")  # noqa: B009
        try:
            inner.close()
        finally:
            self._self_handler.finish()

    def __del__(self) -> None:
        self._self_handler.finish()


class ConverseStreamHandler(EventHandler):
    """``converse_stream``'s events."""

    def _record(self) -> None:
        accumulated = ConverseAccumulator()
        accumulated.add_all(self.events)
        response = accumulated.response()
        if response is None:
            return
        self.call.record(
            converse.response_attributes(response),
            {G.OUTPUT_MESSAGES: converse.output_messages_payload(response)}
            if self.call.capture
            else None,
        )


# -- invoke_model_with_response_stream ------------------------------------------------------


_METRICS = "amazon-bedrock-invocationMetrics"
_METERED = (
    "inputTokenCount",
    "outputTokenCount",
    "cacheReadInputTokenCount",
    "cacheWriteInputTokenCount",
)


class InvokeStreamHandler(EventHandler):
    """``invoke_model_with_response_stream``'s chunks, read as ``fmt``'s."""

    def __init__(self, call: LLMCall, fmt: Format) -> None:
        super().__init__(call)
        self._format = fmt

    def _record(self) -> None:
        make = ACCUMULATORS.get(self._format.name)
        chunks: Any = make() if make is not None else None
        metrics: Any = None
        for event in self.events:
            data = obj(obj(event).get("chunk")).get("bytes")
            if not data:
                continue
            body = obj(loads(data.decode() if isinstance(data, bytes) else str(data)))
            metrics = body.pop(_METRICS, None) or metrics
            if chunks is not None:
                chunks.add(body)
        attrs: dict[str, Any] = {}
        outputs: list[Any] = []
        if chunks is not None:
            response = chunks.response()
            if response is not None:
                attrs, outputs = self._format.response(response)
        if metrics is not None:
            metered = metered_usage(obj(metrics), _METERED)
            for key, value in metered.items():
                attrs.setdefault(key, value)  # the model's own counts first
        self.call.record(attrs, {G.OUTPUT_MESSAGES: outputs} if self.call.capture else None)
