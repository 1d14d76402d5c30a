"""LiteLLM's operations: how ``completion`` and ``embedding`` calls become spans.

LiteLLM's functions take keyword arguments (``model`` and ``messages``/``input`` also by
position) and return the Chat Completions format's objects: ``ModelResponse``,
``EmbeddingResponse``, or a ``CustomStreamWrapper`` of chunks. So each operation is the
core's (:class:`ChatCompletionsOperation`'s content, response and stream handling; OpenAI's
embeddings extractors), started LiteLLM's way: the span names the provider LiteLLM
routes to and the model as asked without its ``provider/`` prefix. Where LiteLLM says it
sent the call (a response's or stream's ``_hidden_params``, an exception's
``llm_provider``) completes the provider and ``server.*``.

While a LiteLLM call is recorded it is the model call in flight (``LLMCall``), so the
OpenAI SDK or any other instrumented SDK that LiteLLM calls for it passes through: one
model span per call. LiteLLM's own OpenTelemetry logger stands aside as well
(:func:`native_logger_wrapper`).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from opentelemetry.instrumentation.utils import is_instrumentation_enabled

from spanwise.common._safety import report_internal_error
from spanwise.semconv import GenAIAttributes, SpanwiseAttributes

from .._invocation import EMBEDDINGS as EMBEDDINGS_KIND
from .._llm import LLMCall, Settings
from .._stainless import ChatCompletionsOperation, StainlessOperation
from .._wrappers import Wrapper
from ..openai._extract import embeddings_response_attributes
from . import _extract as x
from ._stream import LiteLLMStreamHandler, stream_proxy

__all__ = ["CHAT", "EMBEDDINGS", "NATIVE_LOGGER", "LiteLLMCall", "native_logger_wrapper"]


@functools.cache
def _known_providers() -> frozenset[str]:
    """LiteLLM's provider names: the prefixes it routes ``provider/model`` by."""
    import litellm

    return frozenset(str(getattr(p, "value", p)) for p in litellm.provider_list)


@functools.cache
def _stream_type() -> type:
    import litellm

    return litellm.CustomStreamWrapper  # type: ignore[no-any-return]


class LiteLLMCall(LLMCall):
    """A LiteLLM call: a failure names the provider LiteLLM mapped its error from."""

    __slots__ = ()

    def _on_end(self, error: BaseException | None) -> None:
        if error is not None and GenAIAttributes.PROVIDER_NAME not in self._attributes:
            self.record(x.routed_attributes(None, getattr(error, "llm_provider", None)))
        super()._on_end(error)


class _LiteLLMOperation(StainlessOperation):
    """What chat and embeddings share: the start, and a response or a stream at the end."""

    operation: str  # the positional parameters' set in _extract
    site = "litellm"

    def start(
        self, settings: Settings, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> LLMCall | None:
        try:
            named = x.call_kwargs(self.operation, args, kwargs)
            model, attrs = x.request_attributes(self.operation, named, _known_providers())
            attrs[SpanwiseAttributes.SPAN_TYPE] = self.kind.span_type
            return LiteLLMCall.start_call(
                settings, self.kind.span_name(model), attrs, lambda: self.request_content(named)
            )
        except Exception as exc:
            report_internal_error("litellm request", exc)
            return None

    async def finish_async(self, run: LLMCall, result: Any, kwargs: dict[str, Any]) -> Any:
        return self.finish(run, result, kwargs, is_async=True)

    def finish(self, run: LLMCall, result: Any, kwargs: dict[str, Any], *, is_async: bool) -> Any:
        """The caller's result: LiteLLM's own object, or its stream behind a proxy (one
        class for both: LiteLLM's stream is sync and async at once)."""
        try:
            hidden = getattr(result, "_hidden_params", None)
            handler = self.stream_handler(run) if isinstance(result, _stream_type()) else None
            if handler is not None:
                provider = getattr(result, "custom_llm_provider", None)
                run.record(x.routed_attributes(hidden, provider))
                return stream_proxy(result, handler)
            run.record(x.routed_attributes(hidden))
            self.response(run, result)
        except Exception as exc:
            report_internal_error("litellm response", exc)
        run.succeed()
        return result


class _Chat(_LiteLLMOperation, ChatCompletionsOperation):
    """``completion`` / ``acompletion``: the core's Chat Completions operation."""

    operation = "chat"
    stream_handler_class = LiteLLMStreamHandler


class _Embeddings(_LiteLLMOperation):
    """``embedding`` / ``aembedding``: OpenAI's embeddings format (no content recorded)."""

    operation = "embeddings"
    kind = EMBEDDINGS_KIND

    def response(self, call: LLMCall, response: Any) -> None:
        attrs = embeddings_response_attributes(response)
        # LiteLLM's usage says 0 output tokens for every embedding: no provider's count.
        if attrs.get(GenAIAttributes.USAGE_OUTPUT_TOKENS) == 0:
            del attrs[GenAIAttributes.USAGE_OUTPUT_TOKENS]
        call.record(attrs)


CHAT = _Chat()
EMBEDDINGS = _Embeddings()


# LiteLLM's OpenTelemetry logger (``callbacks=["otel"]``; the Arize, Phoenix, Langfuse OTel,
# Weave... loggers are built on it) and its four logging methods.
NATIVE_LOGGER = (
    "litellm.integrations.opentelemetry",
    "OpenTelemetry",
    (
        "log_success_event",
        "log_failure_event",
        "async_log_success_event",
        "async_log_failure_event",
    ),
)


async def _logged_nothing() -> None:
    return None


def native_logger_wrapper(settings: Settings) -> Wrapper:
    """LiteLLM's OpenTelemetry logger logs nothing while spanwise records LiteLLM's calls:
    it would write its own attributes (and raw content, whatever the content policy) onto
    spanwise's span with a raw-request child, or, when no span is current (a stream ends
    after the call returned), start a second span of the call. Off or ``log_traces=False``,
    it logs as configured."""

    def wrapper(
        wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        if settings.active and settings.log_traces and is_instrumentation_enabled():
            return _logged_nothing() if inspect.iscoroutinefunction(wrapped) else None
        return wrapped(*args, **kwargs)

    return wrapper
