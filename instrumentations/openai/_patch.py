"""Patching: wrapt wrapper factories for the OpenAI SDK's methods.

Each operation (chat, embeddings, legacy completions) is an object that turns the
call's kwargs into a started ``LLMCall`` and its result into attributes; the sync and
async wrappers are thin twins around it. An SDK exception is recorded and re-raised
unchanged; an error inside spanwise leaves the call untraced, never broken.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from spanwise.semconv import GenAIAttributes, OperationName, SpanType, SpanwiseAttributes

from .._llm import LLMCall, Settings
from .._safety import report_internal_error
from .._stream import AsyncStreamProxy, RawResponseProxy, StreamHandler, SyncStreamProxy
from . import _extract as x
from . import _extract_responses as xr
from ._stream_handlers import ChatStreamHandler, ResponsesStreamHandler

__all__ = [
    "CHAT",
    "COMPLETIONS",
    "EMBEDDINGS",
    "RESPONSES",
    "Operation",
    "async_wrapper",
    "sync_wrapper",
]

Wrapper = Callable[[Callable[..., Any], Any, tuple[Any, ...], dict[str, Any]], Any]


# The client's base URL object -> its provider attributes. Keyed by identity, holding the
# URL so the id cannot be reused; a client whose base_url is reassigned gets a new entry.
_providers: dict[int, tuple[object, dict[str, Any]]] = {}
_MAX_PROVIDERS = 64


def _provider_attributes(instance: Any) -> dict[str, Any]:
    client = getattr(instance, "_client", None)
    # The stored URL: the public base_url property costs more than the lookup it feeds.
    url = getattr(client, "_base_url", None) or getattr(client, "base_url", None)
    cached = _providers.get(id(url))
    if cached is not None and cached[0] is url:
        return cached[1]
    attrs = x.provider_attributes(url)
    if len(_providers) >= _MAX_PROVIDERS:
        _providers.clear()
    _providers[id(url)] = (url, attrs)
    return attrs


def _sdk_models() -> tuple[type, ...]:
    try:
        from openai import BaseModel
    except ImportError:  # pragma: no cover - the instrumentor needs openai
        return ()
    return (BaseModel,)


_SDK_MODELS = _sdk_models()


def _is_raw(result: Any) -> bool:
    """A ``with_raw_response`` wrapper (it carries the HTTP response)?"""
    # An SDK model answers hasattr() through pydantic's __getattr__, which raises: slow.
    return not isinstance(result, _SDK_MODELS) and hasattr(result, "http_response")


def _parsed(result: Any) -> Any:
    """The response object, also behind ``with_raw_response`` (whose parse() caches)."""
    if _is_raw(result) and callable(getattr(result, "parse", None)):
        return result.parse()
    return result


class Operation:
    """How one kind of call becomes a span."""

    operation: str = ""
    span_type: str = SpanType.UNKNOWN.value

    def request_attributes(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def request_content(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """Content attributes of the request (only asked for when capture is on)."""
        return {}

    def response(self, call: LLMCall, response: Any) -> None:
        raise NotImplementedError

    def stream_handler(self, call: LLMCall) -> StreamHandler | None:
        return None

    def start(self, settings: Settings, instance: Any, kwargs: dict[str, Any]) -> LLMCall | None:
        try:
            attrs = self.request_attributes(kwargs)
            attrs.update(_provider_attributes(instance))
            attrs[SpanwiseAttributes.SPAN_TYPE] = self.span_type
            model = kwargs.get("model")
            name = f"{self.operation} {model}" if model else self.operation
            return LLMCall.start(settings, name, attrs, lambda: self.request_content(kwargs))
        except Exception as exc:
            report_internal_error("openai request", exc)
            return None

    def finish(self, call: LLMCall, result: Any, kwargs: dict[str, Any], *, is_async: bool) -> Any:
        """The caller's result: the SDK's own object, or its stream behind a proxy."""
        try:
            handler = self.stream_handler(call) if kwargs.get("stream") is True else None
            if handler is not None:
                proxy = AsyncStreamProxy if is_async else SyncStreamProxy
                if _is_raw(result):  # with_raw_response: parse() streams

                    def wrap(stream: Any) -> Any:
                        return proxy(stream, handler)

                    return RawResponseProxy(result, wrap, handler)
                return proxy(result, handler)
            self.response(call, _parsed(result))
        except Exception as exc:
            report_internal_error("openai response", exc)
        call.succeed()
        return result


class _Chat(Operation):
    operation = OperationName.CHAT
    span_type = SpanType.CHAT_MODEL.value

    def request_attributes(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        return x.chat_request_attributes(kwargs)

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

    def stream_handler(self, call: LLMCall) -> StreamHandler:
        return ChatStreamHandler(call)


class _Embeddings(Operation):
    operation = OperationName.EMBEDDINGS
    span_type = SpanType.EMBEDDING.value

    def request_attributes(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        return x.embeddings_request_attributes(kwargs)

    def response(self, call: LLMCall, response: Any) -> None:
        call.record(x.embeddings_response_attributes(response))


class _Completions(Operation):
    """The legacy text completions endpoint."""

    operation = OperationName.TEXT_COMPLETION
    span_type = SpanType.LLM.value

    def request_attributes(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        attrs = x.chat_request_attributes(kwargs)
        attrs[GenAIAttributes.OPERATION_NAME] = OperationName.TEXT_COMPLETION
        return attrs

    def request_content(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        prompt = kwargs.get("prompt")
        prompts: list[Any] = [prompt] if isinstance(prompt, str) else x.items(prompt)
        return {
            GenAIAttributes.INPUT_MESSAGES: [
                {"role": "user", "parts": [{"type": "text", "content": str(p)}]} for p in prompts
            ]
        }

    def response(self, call: LLMCall, response: Any) -> None:
        outputs = [
            {
                "role": "assistant",
                "parts": [{"type": "text", "content": str(x.get(c, "text") or "")}],
                "finish_reason": str(x.get(c, "finish_reason") or "error"),
            }
            for c in x.items(x.get(response, "choices"))
        ]
        call.record(
            x.chat_response_attributes(response),
            {GenAIAttributes.OUTPUT_MESSAGES: outputs} if call.capture else None,
        )

    def stream_handler(self, call: LLMCall) -> StreamHandler:
        return ChatStreamHandler(call, legacy=True)


class _Responses(Operation):
    """The Responses API: ``instructions`` are system instructions given apart."""

    operation = OperationName.CHAT
    span_type = SpanType.CHAT_MODEL.value

    def request_attributes(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        return xr.responses_request_attributes(kwargs)

    def request_content(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        instructions = kwargs.get("instructions")
        return {
            GenAIAttributes.SYSTEM_INSTRUCTIONS: [{"type": "text", "content": instructions}]
            if isinstance(instructions, str)
            else None,
            GenAIAttributes.INPUT_MESSAGES: xr.responses_input_messages(kwargs.get("input")),
            GenAIAttributes.TOOL_DEFINITIONS: x.tool_definitions(kwargs.get("tools")),
        }

    def response(self, call: LLMCall, response: Any) -> None:
        content: dict[str, Any] | None = None
        if call.capture:
            parts, reason = xr.responses_output(response)
            content = {
                GenAIAttributes.OUTPUT_MESSAGES: [
                    {"role": "assistant", "parts": parts, "finish_reason": reason}
                ]
            }
        call.record(xr.responses_response_attributes(response), content)

    def stream_handler(self, call: LLMCall) -> StreamHandler:
        return ResponsesStreamHandler(call, self.response)


CHAT = _Chat()
EMBEDDINGS = _Embeddings()
COMPLETIONS = _Completions()
RESPONSES = _Responses()


def sync_wrapper(settings: Settings, operation: Operation) -> Wrapper:
    def wrapper(
        wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        if not settings.enabled():
            return wrapped(*args, **kwargs)
        call = operation.start(settings, instance, kwargs)
        if call is None:
            return wrapped(*args, **kwargs)
        call.enter()
        try:
            result = wrapped(*args, **kwargs)
        except BaseException as exc:
            call.exit()
            call.fail(exc)
            raise
        call.exit()
        return operation.finish(call, result, kwargs, is_async=False)

    return wrapper


def async_wrapper(settings: Settings, operation: Operation) -> Wrapper:
    def wrapper(
        wrapped: Callable[..., Awaitable[Any]],
        instance: Any,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> Awaitable[Any]:
        async def run() -> Any:
            if not settings.enabled():
                return await wrapped(*args, **kwargs)
            call = operation.start(settings, instance, kwargs)
            if call is None:
                return await wrapped(*args, **kwargs)
            call.enter()
            try:
                result = await wrapped(*args, **kwargs)
            except BaseException as exc:
                call.exit()
                call.fail(exc)
                raise
            call.exit()
            return operation.finish(call, result, kwargs, is_async=True)

        return run()

    return wrapper
