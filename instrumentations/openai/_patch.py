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


def _base_url(instance: Any) -> object:
    return getattr(getattr(instance, "_client", None), "base_url", None)


def _parsed(result: Any) -> Any:
    """The response object, also behind ``with_raw_response`` (whose parse() caches)."""
    if hasattr(result, "http_response") and callable(getattr(result, "parse", None)):
        return result.parse()
    return result


class Operation:
    """How one kind of call becomes a span."""

    operation: str = ""
    span_type: str = SpanType.UNKNOWN.value

    def request_attributes(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def request_content(self, call: LLMCall, kwargs: dict[str, Any]) -> None:
        """Content attributes of the request (only recorded when capture is on)."""

    def response(self, call: LLMCall, response: Any) -> None:
        raise NotImplementedError

    def stream_handler(self, call: LLMCall) -> StreamHandler | None:
        return None

    def start(self, settings: Settings, instance: Any, kwargs: dict[str, Any]) -> LLMCall | None:
        try:
            attrs = self.request_attributes(kwargs)
            attrs.update(x.provider_attributes(_base_url(instance)))
            attrs[SpanwiseAttributes.SPAN_TYPE] = self.span_type
            model = kwargs.get("model")
            name = f"{self.operation} {model}" if model else self.operation
            call = LLMCall.start(settings, name, attrs)
            if call is not None and call.capture:
                self.request_content(call, kwargs)
            return call
        except Exception as exc:
            report_internal_error("openai request", exc)
            return None

    def finish(self, call: LLMCall, result: Any, kwargs: dict[str, Any], *, is_async: bool) -> Any:
        """The caller's result: the SDK's own object, or its stream behind a proxy."""
        try:
            handler = self.stream_handler(call) if kwargs.get("stream") is True else None
            if handler is not None:
                proxy = AsyncStreamProxy if is_async else SyncStreamProxy
                if hasattr(result, "http_response"):  # with_raw_response: parse() streams

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

    def request_content(self, call: LLMCall, kwargs: dict[str, Any]) -> None:
        call.set_content(GenAIAttributes.INPUT_MESSAGES, x.input_messages(kwargs.get("messages")))
        call.set_content(GenAIAttributes.TOOL_DEFINITIONS, x.tool_definitions(kwargs.get("tools")))

    def response(self, call: LLMCall, response: Any) -> None:
        call.set_attributes(x.chat_response_attributes(response))
        call.set_content(
            GenAIAttributes.OUTPUT_MESSAGES, x.output_messages(x.get(response, "choices"))
        )

    def stream_handler(self, call: LLMCall) -> StreamHandler:
        return ChatStreamHandler(call)


class _Embeddings(Operation):
    operation = OperationName.EMBEDDINGS
    span_type = SpanType.EMBEDDING.value

    def request_attributes(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        return x.embeddings_request_attributes(kwargs)

    def response(self, call: LLMCall, response: Any) -> None:
        call.set_attributes(x.embeddings_response_attributes(response))


class _Completions(Operation):
    """The legacy text completions endpoint."""

    operation = OperationName.TEXT_COMPLETION
    span_type = SpanType.LLM.value

    def request_attributes(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        attrs = x.chat_request_attributes(kwargs)
        attrs[GenAIAttributes.OPERATION_NAME] = OperationName.TEXT_COMPLETION
        return attrs

    def request_content(self, call: LLMCall, kwargs: dict[str, Any]) -> None:
        prompt = kwargs.get("prompt")
        prompts: list[Any] = [prompt] if isinstance(prompt, str) else x.items(prompt)
        call.set_content(
            GenAIAttributes.INPUT_MESSAGES,
            [{"role": "user", "parts": [{"type": "text", "content": str(p)}]} for p in prompts],
        )

    def response(self, call: LLMCall, response: Any) -> None:
        call.set_attributes(x.chat_response_attributes(response))
        call.set_content(
            GenAIAttributes.OUTPUT_MESSAGES,
            [
                {
                    "role": "assistant",
                    "parts": [{"type": "text", "content": str(x.get(c, "text") or "")}],
                    "finish_reason": str(x.get(c, "finish_reason") or "error"),
                }
                for c in x.items(x.get(response, "choices"))
            ],
        )

    def stream_handler(self, call: LLMCall) -> StreamHandler:
        return ChatStreamHandler(call, legacy=True)


class _Responses(Operation):
    """The Responses API: ``instructions`` are system instructions given apart."""

    operation = OperationName.CHAT
    span_type = SpanType.CHAT_MODEL.value

    def request_attributes(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        return x.responses_request_attributes(kwargs)

    def request_content(self, call: LLMCall, kwargs: dict[str, Any]) -> None:
        instructions = kwargs.get("instructions")
        if isinstance(instructions, str):
            call.set_content(
                GenAIAttributes.SYSTEM_INSTRUCTIONS, [{"type": "text", "content": instructions}]
            )
        call.set_content(
            GenAIAttributes.INPUT_MESSAGES, x.responses_input_messages(kwargs.get("input"))
        )
        call.set_content(GenAIAttributes.TOOL_DEFINITIONS, x.tool_definitions(kwargs.get("tools")))

    def response(self, call: LLMCall, response: Any) -> None:
        call.set_attributes(x.responses_response_attributes(response))
        parts, reason = x.responses_output(response)
        call.set_content(
            GenAIAttributes.OUTPUT_MESSAGES,
            [{"role": "assistant", "parts": parts, "finish_reason": reason}],
        )

    def stream_handler(self, call: LLMCall) -> StreamHandler:
        return ResponsesStreamHandler(call, self)


CHAT = _Chat()
EMBEDDINGS = _Embeddings()
COMPLETIONS = _Completions()
RESPONSES = _Responses()


class ResponsesStreamHandler(StreamHandler):
    """Responses API events: the final response arrives whole in ``response.completed``
    (or ``.incomplete``/``.failed``); text deltas keep what an early stop received."""

    def __init__(self, call: LLMCall, operation: _Responses) -> None:
        super().__init__()
        self._call = call
        self._operation = operation
        self._first = True
        self._final: Any = None
        self._text: list[str] = []

    def _process_chunk(self, chunk: Any) -> None:
        if self._first:
            self._first = False
            self._call.first_chunk()
        kind = str(x.get(chunk, "type") or "")
        if kind == "response.output_text.delta":
            self._text.append(str(x.get(chunk, "delta") or ""))
        elif kind in ("response.completed", "response.incomplete", "response.failed"):
            self._final = x.get(chunk, "response")

    def _record(self) -> None:
        if self._final is not None:
            self._operation.response(self._call, self._final)
        elif self._text:
            self._call.set_content(
                GenAIAttributes.OUTPUT_MESSAGES,
                [
                    {
                        "role": "assistant",
                        "parts": [{"type": "text", "content": "".join(self._text)}],
                        "finish_reason": "error",
                    }
                ],
            )

    def _on_stream_end(self) -> None:
        self._record()
        self._call.succeed()

    def _on_stream_error(self, error: BaseException) -> None:
        self._record()
        self._call.fail(error)


def _attr(obj: Any, key: str) -> Any:
    return getattr(obj, key, None)


class ChatStreamHandler(StreamHandler):
    """Accumulates streamed chat chunks (text, tool-call deltas, usage) per choice."""

    def __init__(self, call: LLMCall, *, legacy: bool = False) -> None:
        super().__init__()
        self._call = call
        self._legacy = legacy
        self._first = True
        self._response: dict[str, Any] = {}
        self._choices: dict[int, dict[str, Any]] = {}

    def _process_chunk(self, chunk: Any) -> None:
        # Hot path (every chunk): plain attribute reads, state built once per choice.
        get = x.get if type(chunk) is dict else _attr
        if self._first:
            self._first = False
            self._call.first_chunk()
        # Until known: some providers (Azure) open with a content-filter chunk whose id
        # and model are empty.
        if not self._response.get("id"):
            self._response["id"] = get(chunk, "id") or None
        if not self._response.get("model"):
            self._response["model"] = get(chunk, "model") or None
        usage = get(chunk, "usage")
        if usage is not None:
            self._response["usage"] = usage
        choices = get(chunk, "choices")
        if not choices:
            return
        for position, choice in enumerate(choices):
            index = get(choice, "index")
            key = index if type(index) is int else position
            state = self._choices.get(key)
            if state is None:
                state = self._choices[key] = {
                    "text": [],
                    "tool_calls": {},
                    "role": None,
                    "finish_reason": None,
                }
            finish = get(choice, "finish_reason")
            if finish is not None:
                state["finish_reason"] = finish
            if self._legacy:
                state["text"].append(get(choice, "text") or "")
                continue
            delta = get(choice, "delta")
            if delta is None:
                continue
            content = get(delta, "content")
            if content:
                state["text"].append(content)
            role = get(delta, "role")
            if role:
                state["role"] = role
            tool_calls = get(delta, "tool_calls")
            if tool_calls:
                self._tool_deltas(state, tool_calls, get)

    @staticmethod
    def _tool_deltas(state: dict[str, Any], deltas: Any, get: Callable[..., Any]) -> None:
        for tool_delta in deltas:
            slot = get(tool_delta, "index")
            calls = state["tool_calls"]
            call = calls.setdefault(
                slot if isinstance(slot, int) else len(calls),
                {"id": None, "name": "", "arguments": []},
            )
            if get(tool_delta, "id"):
                call["id"] = get(tool_delta, "id")
            function = get(tool_delta, "function")
            if get(function, "name"):
                call["name"] += get(function, "name")
            if get(function, "arguments"):
                call["arguments"].append(get(function, "arguments"))

    def _assembled(self) -> dict[str, Any]:
        """What was received, shaped like a non-streamed response."""
        choices: list[dict[str, Any]] = []
        for index in sorted(self._choices):
            state = self._choices[index]
            message: dict[str, Any] = {
                "role": state["role"] or "assistant",
                "content": "".join(state["text"]) or None,
            }
            calls = [
                {
                    "id": c["id"],
                    "type": "function",
                    "function": {"name": c["name"], "arguments": "".join(c["arguments"])},
                }
                for _, c in sorted(state["tool_calls"].items())
            ]
            if calls:
                message["tool_calls"] = calls
            choices.append(
                {"index": index, "finish_reason": state["finish_reason"], "message": message}
            )
        response = {k: v for k, v in self._response.items() if v is not None}
        return {**response, "choices": choices}

    def _record(self) -> None:
        response = self._assembled()
        self._call.set_attributes(x.chat_response_attributes(response))
        self._call.set_content(
            GenAIAttributes.OUTPUT_MESSAGES, x.output_messages(response["choices"])
        )

    def _on_stream_end(self) -> None:
        self._record()
        self._call.succeed()

    def _on_stream_error(self, error: BaseException) -> None:
        self._record()
        self._call.fail(error)


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
