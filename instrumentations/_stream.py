"""One stream-proxy base for every instrumentor, with sync and async twins.

A ``StreamHandler`` sees each chunk (``_process_chunk``) and finishes exactly once: on
exhaustion, on error, on ``close()``, on leaving a ``with`` block, or when an abandoned
stream is garbage-collected (``_on_stream_end`` / ``_on_stream_error``). The proxies wrap
the SDK's own stream object (``wrapt.ObjectProxy``: ``isinstance`` and every helper
method still work) and never let the real stream escape: ``__enter__`` returns the proxy.

Whatever the chunks hold, the span ends: an error recording what arrived is reported
(``_safety``) only after the span has ended, and chunk fields of an unexpected shape are
read with :func:`delta_text` / :func:`delta_json` instead of being assumed strings.
"""

from __future__ import annotations

import inspect
import json
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any

import wrapt  # pyright: ignore[reportMissingTypeStubs]

from spanwise.common._access import get
from spanwise.common._safety import report_internal_error

if TYPE_CHECKING:
    from ._llm import LLMCall

__all__ = [
    "AsyncStreamManagerProxy",
    "AsyncStreamProxy",
    "RawResponseProxy",
    "RecordingHandler",
    "StreamHandler",
    "SyncStreamManagerProxy",
    "SyncStreamProxy",
    "delta_json",
    "delta_text",
]

_NUMBERS = (int, float)


def _scalar_text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, _NUMBERS):  # a number (or a bool) as its string
        return str(value)
    return None


def delta_text(value: Any) -> str:
    """A streamed text field as text, whatever shape the server sent: a string as it is,
    a number as its string, a list of content parts as the text of the parts that carry
    it (``{"type": "text", "text": ...}``, plain strings and numbers), an object by its
    ``text``. Anything else (None, an object without text) adds nothing."""
    text = _scalar_text(value)
    if text is not None:
        return text
    if isinstance(value, (list, tuple)):
        out: list[str] = []
        for part in value:  # pyright: ignore[reportUnknownVariableType]
            piece = _scalar_text(part)
            if piece is None:
                piece = _scalar_text(get(part, "text"))
            if piece is not None:
                out.append(piece)
        return "".join(out)
    return _scalar_text(get(value, "text")) or ""


def delta_json(value: Any) -> str:
    """A streamed JSON-text field (tool-call arguments): a string as it is; an object a
    server sent whole, as its JSON."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):  # circular, or a key JSON cannot take
        return str(value)


class StreamHandler(ABC):
    """What an instrumentor does with a stream's chunks; finishes once."""

    def __init__(self) -> None:
        self._finished = False

    def process_chunk(self, chunk: Any) -> None:
        if self._finished:
            return
        try:
            self._process_chunk(chunk)
        except Exception as exc:
            report_internal_error("stream chunk", exc)

    def finish(self, error: BaseException | None = None) -> None:
        if self._finished:
            return
        self._finished = True
        try:
            if error is None or isinstance(error, GeneratorExit):
                self._on_stream_end()
            else:
                self._on_stream_error(error)
        except Exception as exc:
            report_internal_error("stream end", exc)

    @abstractmethod
    def _process_chunk(self, chunk: Any) -> None: ...

    @abstractmethod
    def _on_stream_end(self) -> None: ...

    @abstractmethod
    def _on_stream_error(self, error: BaseException) -> None: ...


class RecordingHandler(StreamHandler):
    """A model call's stream: records what was received when the stream ends, however
    it ends, then ends the call (``_record`` is the library's)."""

    def __init__(self, call: LLMCall) -> None:
        super().__init__()
        self.call = call
        self._started = False  # a chunk arrived (time to first chunk recorded)

    def _first_chunk(self) -> None:
        """Time to first chunk, recorded once (call it for every chunk that counts)."""
        if not self._started:
            self._started = True
            self.call.first_chunk()

    def _record(self) -> None:
        raise NotImplementedError

    def _on_stream_end(self) -> None:
        if not self.call.ended:  # e.g. the request of a stream manager failed
            try:
                self._record_safely()
            finally:
                self.call.succeed()

    def _on_stream_error(self, error: BaseException) -> None:
        if not self.call.ended:
            try:
                self._record_safely()
            finally:
                self.call.fail(error)

    def _record_safely(self) -> None:
        # A failure to record what arrived must not keep the span from ending: the
        # callers end it in ``finally``, also when the report re-raises (under tests).
        try:
            self._record()
        except Exception as exc:
            report_internal_error("stream record", exc)


def _sync_step(next_chunk: Callable[[], Any], handler: StreamHandler) -> Callable[[], Any]:
    """One chunk: the SDK's, shown to the handler, the span ended at the end. The hot
    path of every sync stream: ``StreamHandler.process_chunk`` is inlined here (one call
    a chunk instead of two; bench_stream_chunks.py)."""
    process = handler._process_chunk  # pyright: ignore[reportPrivateUsage]

    def step() -> Any:
        try:
            chunk = next_chunk()
        except StopIteration:
            handler.finish()
            raise
        except BaseException as exc:
            handler.finish(exc)
            raise
        if not handler._finished:  # pyright: ignore[reportPrivateUsage]
            try:
                process(chunk)
            except Exception as exc:
                report_internal_error("stream chunk", exc)
        return chunk

    return step


def _chunks(owner: SyncStreamProxy, step: Callable[[], Any]) -> Iterator[Any]:
    """The chunks ``step`` gives until the stream ends (``owner``: kept alive)."""
    while True:
        try:
            chunk = step()
        except StopIteration:
            return
        yield chunk


class SyncStreamProxy(wrapt.ObjectProxy):  # type: ignore[misc]
    @property
    def _inner(self) -> Any:
        """The SDK's stream (wrapt has no type stubs: typed here once)."""
        return getattr(self, "__wrapped__")  # noqa: B009

    def __init__(self, wrapped: Any, handler: StreamHandler) -> None:
        super().__init__(wrapped)  # pyright: ignore[reportUnknownMemberType]
        self._self_handler = handler
        # Per chunk: one attribute read on the proxy, the rest in the closure's locals.
        self._self_step = _sync_step(wrapped.__next__, handler)

    def __iter__(self) -> Iterator[Any]:
        # ``for chunk in stream`` (how streams are read) runs on a generator: resuming it
        # costs far less than the proxy's ``__next__`` through wrapt (half the proxy's
        # cost a chunk; bench_stream_chunks.py). It holds the proxy, so a stream only its
        # loop refers to is not collected (and ended) under it; a loop left early leaves
        # the stream to ``close()``, ``with`` or collection, as ``next()`` does.
        return _chunks(self, self._self_step)

    def __next__(self) -> Any:
        return self._self_step()

    def __enter__(self) -> SyncStreamProxy:
        self._inner.__enter__()
        return self

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> Any:
        try:
            return self._inner.__exit__(exc_type, exc, tb)
        finally:
            self._self_handler.finish(exc)

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            self._self_handler.finish()

    def __del__(self) -> None:  # abandoned: end the span with what was received
        self._self_handler.finish()


class AsyncStreamProxy(wrapt.ObjectProxy):  # type: ignore[misc]
    @property
    def _inner(self) -> Any:
        """The SDK's stream (wrapt has no type stubs: typed here once)."""
        return getattr(self, "__wrapped__")  # noqa: B009

    def __init__(self, wrapped: Any, handler: StreamHandler) -> None:
        super().__init__(wrapped)  # pyright: ignore[reportUnknownMemberType]
        self._self_handler = handler
        self._self_anext = wrapped.__anext__
        self._self_process = handler.process_chunk

    def __aiter__(self) -> AsyncStreamProxy:
        return self

    async def __anext__(self) -> Any:
        try:
            chunk = await self._self_anext()
        except StopAsyncIteration:
            self._self_handler.finish()
            raise
        except BaseException as exc:
            self._self_handler.finish(exc)
            raise
        self._self_process(chunk)
        return chunk

    async def __aenter__(self) -> AsyncStreamProxy:
        await self._inner.__aenter__()
        return self

    async def __aexit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> Any:
        try:
            return await self._inner.__aexit__(exc_type, exc, tb)
        finally:
            self._self_handler.finish(exc)

    async def close(self) -> None:
        try:
            await self._inner.close()
        finally:
            self._self_handler.finish()

    async def aclose(self) -> None:
        """An async generator's close (google-genai streams are async generators)."""
        try:
            await self._inner.aclose()
        finally:
            self._self_handler.finish()

    def __del__(self) -> None:
        self._self_handler.finish()


class RawResponseProxy(wrapt.ObjectProxy):  # type: ignore[misc]
    """A raw HTTP response whose ``parse()`` gives a stream: the stream comes back behind
    its proxy (once; later calls get the same one). Headers and the rest pass through.
    Never parsed, the span ends when the response is garbage-collected. An async
    response's ``parse()`` is a coroutine: so is the proxy's."""

    def __init__(self, wrapped: Any, wrap_stream: Any, handler: StreamHandler) -> None:
        super().__init__(wrapped)  # pyright: ignore[reportUnknownMemberType]
        self._self_wrap_stream = wrap_stream
        self._self_handler = handler
        self._self_stream: Any = None

    def parse(self, *args: Any, **kwargs: Any) -> Any:
        if self._self_stream is not None:
            return self._self_stream
        inner: Any = getattr(self, "__wrapped__")  # noqa: B009
        parsed = inner.parse(*args, **kwargs)
        if inspect.isawaitable(parsed):
            return self._wrap_later(parsed)
        self._self_stream = self._self_wrap_stream(parsed)
        return self._self_stream

    async def _wrap_later(self, parsed: Awaitable[Any]) -> Any:
        stream = await parsed
        if self._self_stream is None:
            self._self_stream = self._self_wrap_stream(stream)
        return self._self_stream

    def __del__(self) -> None:
        if self._self_stream is None:
            self._self_handler.finish()


# -- stream managers: ``with client.messages.stream(...) as stream:`` ---------------------
# The manager makes the request when entered; the span is current (and the call marked in
# flight) while it does. ``wrap(stream, handler)`` gives what ``__enter__`` returns: the
# library decides how the chunks reach the handler (a proxy around the stream, or around
# the raw stream the SDK's helper reads). A manager never entered ends its span when it
# is garbage-collected.


class _StreamManagerProxy(wrapt.ObjectProxy):  # type: ignore[misc]
    """What the sync and async manager proxies share."""

    def __init__(
        self, wrapped: Any, call: LLMCall, handler: StreamHandler, wrap: Callable[..., Any]
    ) -> None:
        super().__init__(wrapped)  # pyright: ignore[reportUnknownMemberType]
        self._self_call = call
        self._self_handler = handler
        self._self_wrap = wrap
        self._self_entered = False

    def _failed_inside(self, exc: BaseException | None) -> None:
        # Before the SDK's exit: it closes the stream, which would end the span as OK.
        if exc is not None:
            self._self_handler.finish(exc)

    def __del__(self) -> None:
        # Entered, the stream it gave ends the span (its proxy is collected with it).
        if not self._self_entered:
            self._self_handler.finish()


class SyncStreamManagerProxy(_StreamManagerProxy):
    def __enter__(self) -> Any:
        inner: Any = getattr(self, "__wrapped__")  # noqa: B009
        self._self_entered = True
        with self._self_call:
            stream = inner.__enter__()
        return self._self_wrap(stream, self._self_handler)

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> Any:
        inner: Any = getattr(self, "__wrapped__")  # noqa: B009
        self._failed_inside(exc)
        try:
            return inner.__exit__(exc_type, exc, tb)
        finally:
            self._self_handler.finish()


class AsyncStreamManagerProxy(_StreamManagerProxy):
    async def __aenter__(self) -> Any:
        inner: Any = getattr(self, "__wrapped__")  # noqa: B009
        self._self_entered = True
        with self._self_call:
            stream = await inner.__aenter__()
        return self._self_wrap(stream, self._self_handler)

    async def __aexit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> Any:
        inner: Any = getattr(self, "__wrapped__")  # noqa: B009
        self._failed_inside(exc)
        try:
            return await inner.__aexit__(exc_type, exc, tb)
        finally:
            self._self_handler.finish()
