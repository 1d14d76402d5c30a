"""LiteLLM's stream: one ``CustomStreamWrapper`` class for sync and async calls alike.

``completion(stream=True)`` and ``acompletion(stream=True)`` both return a
``CustomStreamWrapper``: an iterator and an async iterator, with ``close()`` (a plain
call, also on an async stream) and ``aclose()``, ``with`` and ``async with``. Its proxy
is the core's sync proxy with the async proxy's async methods, so each keeps its own
shape (the async proxy's ``close()`` is a coroutine: it would break ``stream.close()``)
and the span still ends once, however the stream ends. Older LiteLLM streams (1.60)
have no ``close()``/``aclose()`` and are no context managers: neither is their proxy.

The chunks are Chat Completions chunks, read by the core's ``ChatStreamHandler``, but
LiteLLM keeps a streamed choice's and delta's fields (and a chunk's usage) in pydantic's
extras, so each attribute read of them goes through pydantic's ``__getattr__`` (about
5 us, six a chunk). :class:`LiteLLMStreamHandler` takes the common chunk, one more text
delta of a choice already seen, from those dicts; any other goes the core's way.
"""

from __future__ import annotations

from typing import Any

from .._chat_stream import ChatStreamHandler
from .._stream import AsyncStreamProxy, StreamHandler, SyncStreamProxy, delta_text

__all__ = ["CustomStreamProxy", "LiteLLMStreamHandler", "stream_proxy"]


class LiteLLMStreamHandler(ChatStreamHandler):
    """Chat chunks, the common ones read from LiteLLM's pydantic extras."""

    def _process_chunk(self, chunk: Any) -> None:
        try:
            choices = chunk.choices
            if len(choices) == 1 and "usage" not in chunk.__pydantic_extra__:
                fields = choices[0].__pydantic_extra__
                delta = fields["delta"].__pydantic_extra__
                state = self._choices.get(fields["index"])
                if (
                    state is not None
                    and fields["finish_reason"] is None
                    and delta["tool_calls"] is None
                ):
                    content = delta["content"]
                    if content:
                        state["text"].append(
                            content if type(content) is str else delta_text(content)
                        )
                    return
        except Exception:  # another shape (a dict, another LiteLLM version): the core's way
            pass
        super()._process_chunk(chunk)


class CustomStreamProxy(SyncStreamProxy):
    """Sync iteration, ``close()``, ``with`` and ``__del__`` from :class:`SyncStreamProxy`;
    async iteration, ``aclose()`` and ``async with`` from :class:`AsyncStreamProxy`."""

    __aiter__ = AsyncStreamProxy.__aiter__
    __anext__ = AsyncStreamProxy.__anext__
    __aenter__ = AsyncStreamProxy.__aenter__
    __aexit__ = AsyncStreamProxy.__aexit__  # pyright: ignore[reportAssignmentType]
    aclose = AsyncStreamProxy.aclose

    def __init__(self, wrapped: Any, handler: StreamHandler) -> None:
        super().__init__(wrapped, handler)
        # What AsyncStreamProxy.__init__ keeps for its __anext__.
        self._self_anext = wrapped.__anext__
        self._self_process = handler.process_chunk


class _Absent:
    """A method the stream's class lacks: the proxy lacks it too (``hasattr`` is False,
    a call raises the AttributeError it raises unproxied)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    def __get__(self, instance: object, owner: type | None = None) -> Any:
        raise AttributeError(self._name)


class _OlderStreamProxy(CustomStreamProxy):
    close = _Absent()  # pyright: ignore[reportAssignmentType]
    aclose = _Absent()
    __enter__ = _Absent()  # pyright: ignore[reportAssignmentType]
    __exit__ = _Absent()  # pyright: ignore[reportAssignmentType]
    __aenter__ = _Absent()
    __aexit__ = _Absent()


def stream_proxy(stream: object, handler: StreamHandler) -> CustomStreamProxy:
    """The proxy of LiteLLM's stream, with the methods its version has."""
    cls = CustomStreamProxy if hasattr(type(stream), "close") else _OlderStreamProxy
    return cls(stream, handler)
