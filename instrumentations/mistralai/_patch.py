"""The Mistral SDK's operations: how each kind of call becomes a span.

The SDK (Speakeasy-generated) has one method per call shape, sync and async apart:
``chat.complete``/``complete_async`` return a ``ChatCompletionResponse``,
``chat.stream``/``stream_async`` an ``EventStream``/``EventStreamAsync`` of completion
events, ``embeddings.create``/``create_async`` an ``EmbeddingResponse``. Each is an
operation on the shared SDK layer (``_stainless``) with Mistral's extractors; the
provider comes from the client's ``server_url`` (or the call's). SDKs since 2.0 trace
their own API calls when a tracer provider is set (3.x when asked to); while spanwise
records a call, the SDK's span for it is not started (one model span per call).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from spanwise.semconv import GenAIAttributes

from .._invocation import CHAT as CHAT_KIND
from .._invocation import EMBEDDINGS as EMBEDDINGS_KIND
from .._invocation import in_model_call
from .._llm import LLMCall, Settings
from .._stainless import StainlessOperation
from .._stream import StreamHandler
from . import _extract as x
from ._stream import CompletionStreamHandler

__all__ = ["CHAT", "CHAT_STREAM", "EMBEDDINGS", "skip_native_span"]


def _sdk_models() -> tuple[type, ...]:
    """The SDK's response model base (``mistralai.client.types`` in 2.x and later,
    ``mistralai.types`` before): responses are never raw wrappers here."""
    import importlib

    for module in ("mistralai.client.types", "mistralai.types"):
        try:
            return (importlib.import_module(module).BaseModel,)
        except (ImportError, AttributeError):
            continue
    return ()


class _MistralOperation(StainlessOperation):
    providers = x.PROVIDERS
    site = "mistralai"

    def __init__(self) -> None:
        self.models = _sdk_models()

    def provider_attributes(self, instance: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
        return self.providers.attributes(x.server_url(instance, kwargs))


class _Chat(_MistralOperation):
    """``chat.complete``: one response."""

    kind = CHAT_KIND

    def request_attributes(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        return x.chat_request_attributes(kwargs, stream=self.streams(kwargs))

    def request_content(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        return {
            GenAIAttributes.INPUT_MESSAGES: x.input_messages(kwargs.get("messages")),
            GenAIAttributes.TOOL_DEFINITIONS: x.tool_definitions(kwargs.get("tools")),
        }

    def response(self, call: LLMCall, response: Any) -> None:
        call.record(
            x.chat_response_attributes(response),
            {GenAIAttributes.OUTPUT_MESSAGES: x.output_messages(x.get(response, "choices"))}
            if call.capture
            else None,
        )

    def streams(self, kwargs: dict[str, Any]) -> bool:
        return False


class _ChatStream(_Chat):
    """``chat.stream``: an event stream, behind a proxy that ends the span."""

    def streams(self, kwargs: dict[str, Any]) -> bool:
        return True

    def stream_handler(self, call: LLMCall) -> StreamHandler:
        return CompletionStreamHandler(call)


class _Embeddings(_MistralOperation):
    kind = EMBEDDINGS_KIND

    def start(
        self, settings: Settings, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> LLMCall | None:
        if not kwargs.get("model"):  # 1.x SDKs send their default: the span names it
            kwargs = {**kwargs, "model": x.DEFAULT_EMBEDDINGS_MODEL}
        return super().start(settings, instance, args, kwargs)

    def request_attributes(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        return x.embeddings_request_attributes(kwargs)

    def response(self, call: LLMCall, response: Any) -> None:
        call.record(x.embeddings_response_attributes(response))

    def streams(self, kwargs: dict[str, Any]) -> bool:
        return False


CHAT = _Chat()
CHAT_STREAM = _ChatStream()
EMBEDDINGS = _Embeddings()


def skip_native_span(
    wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    """The SDK's tracing hook (``TracingHook.before_request(hook_ctx, request)``): while
    spanwise records the model call, the request goes out untouched and no span of the
    SDK's is started (its later hooks find none and pass the response through)."""
    if in_model_call():
        request = kwargs.get("request", args[1] if len(args) > 1 else None)
        if request is not None:
            return request
    return wrapped(*args, **kwargs)
