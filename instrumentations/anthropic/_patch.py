"""The Anthropic SDK's operations: how each kind of call becomes a span.

``messages.create`` (plain, ``stream=True``, ``with_raw_response``) is a
:class:`StainlessOperation` with Anthropic's extractors; ``messages.stream()`` returns a
stream manager that makes its request when entered, so its operation hands back a
manager proxy. Recent SDKs trace their own API calls; while spanwise records a call, the
SDK's span for it is not started (one model span per call).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from spanwise.common._safety import report_internal_error, warn_once
from spanwise.semconv import GenAIAttributes

from .._invocation import CHAT as CHAT_KIND
from .._invocation import in_model_call
from .._llm import LLMCall
from .._stainless import StainlessOperation, sdk_models
from .._stream import (
    AsyncStreamManagerProxy,
    AsyncStreamProxy,
    StreamHandler,
    SyncStreamManagerProxy,
    SyncStreamProxy,
)
from . import _extract as x
from ._stream import MessageStreamHandler

__all__ = ["MESSAGES", "MESSAGE_STREAM", "skip_native_span"]


class _Messages(StainlessOperation):
    kind = CHAT_KIND
    providers = x.PROVIDERS
    models = sdk_models("anthropic")
    site = "anthropic"

    def request_attributes(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        return x.request_attributes(kwargs)

    def request_content(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        return {
            GenAIAttributes.SYSTEM_INSTRUCTIONS: x.system_instructions(kwargs.get("system")),
            GenAIAttributes.INPUT_MESSAGES: x.input_messages_payload(kwargs.get("messages")),
            GenAIAttributes.TOOL_DEFINITIONS: x.tool_definitions(kwargs.get("tools")),
        }

    def response(self, call: LLMCall, response: Any) -> None:
        call.record(
            x.response_attributes(response),
            {GenAIAttributes.OUTPUT_MESSAGES: x.output_messages_payload(response)}
            if call.capture
            else None,
        )

    def stream_handler(self, call: LLMCall) -> StreamHandler:
        return MessageStreamHandler(call)


def _helper_stream(is_async: bool) -> Callable[[Any, StreamHandler], Any]:
    """The ``MessageStream`` a manager gives, reading its raw events through the proxy:
    ``text_stream``, ``get_final_message()``, ``until_done()`` and plain iteration all
    read the raw stream, so every event reaches the handler, and closing the
    ``MessageStream`` closes the proxy."""
    proxy = AsyncStreamProxy if is_async else SyncStreamProxy

    def wrap(stream: Any, handler: StreamHandler) -> Any:
        raw = getattr(stream, "_raw_stream", None)
        if raw is None:  # an SDK without it: the span ends with the block, content unseen
            warn_once(
                "anthropic:raw-stream",
                "spanwise: this anthropic version's MessageStream has no _raw_stream; "
                "messages.stream() spans will not carry the response",
            )
            return stream
        stream._raw_stream = proxy(raw, handler)
        if isinstance(handler, MessageStreamHandler):
            handler.snapshot = lambda: _snapshot(stream)
        return stream

    return wrap


def _snapshot(stream: Any) -> Any:
    """The message the helper accumulated so far (None before ``message_start``)."""
    try:
        return stream.current_message_snapshot
    except AssertionError:
        return None


class _MessageStream(_Messages):
    """``messages.stream()``: the span starts with the call and is current while the
    manager makes its request; it ends with the stream."""

    def streams(self, kwargs: dict[str, Any]) -> bool:
        return True

    def finish(self, run: LLMCall, result: Any, kwargs: dict[str, Any], *, is_async: bool) -> Any:
        try:
            handler = self.stream_handler(run)
            manager = AsyncStreamManagerProxy if is_async else SyncStreamManagerProxy
            return manager(result, run, handler, _helper_stream(is_async))
        except Exception as exc:
            report_internal_error("anthropic stream", exc)
            run.succeed()
            return result


MESSAGES = _Messages()
MESSAGE_STREAM = _MessageStream()


def skip_native_span(
    wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    """The SDK's own API-call span: none while spanwise records the model call (the SDK
    goes on without a span when this gives None, as it does when tracing is off)."""
    if in_model_call():
        return None
    return wrapped(*args, **kwargs)
