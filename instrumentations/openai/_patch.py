"""Patching: wrapt wrapper factories for the OpenAI SDK's methods.

Each operation (chat, embeddings, legacy completions) is an object that turns the
call's kwargs into a started ``LLMCall`` and its result into attributes; the sync and
async wrappers are thin twins around it. An SDK exception is recorded and re-raised
unchanged; an error inside spanwise leaves the call untraced, never broken.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, cast

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


# The client's base URL object -> its provider attributes. Keyed by identity, holding the
# URL so the id cannot be reused; a client whose base_url is reassigned gets a new entry.
_providers: dict[int, tuple[object, dict[str, Any]]] = {}
_MAX_PROVIDERS = 64


def _provider_attributes(instance: Any) -> dict[str, Any]:
    url = getattr(getattr(instance, "_client", None), "base_url", None)
    cached = _providers.get(id(url))
    if cached is not None and cached[0] is url:
        return cached[1]
    attrs = x.provider_attributes(url)
    if len(_providers) >= _MAX_PROVIDERS:
        _providers.clear()
    _providers[id(url)] = (url, attrs)
    return attrs


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
        return x.responses_request_attributes(kwargs)

    def request_content(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        instructions = kwargs.get("instructions")
        return {
            GenAIAttributes.SYSTEM_INSTRUCTIONS: [{"type": "text", "content": instructions}]
            if isinstance(instructions, str)
            else None,
            GenAIAttributes.INPUT_MESSAGES: x.responses_input_messages(kwargs.get("input")),
            GenAIAttributes.TOOL_DEFINITIONS: x.tool_definitions(kwargs.get("tools")),
        }

    def response(self, call: LLMCall, response: Any) -> None:
        content: dict[str, Any] | None = None
        if call.capture:
            parts, reason = x.responses_output(response)
            content = {
                GenAIAttributes.OUTPUT_MESSAGES: [
                    {"role": "assistant", "parts": parts, "finish_reason": reason}
                ]
            }
        call.record(x.responses_response_attributes(response), content)

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


class _View:
    """Attribute access to a dict chunk and what it nests, so the per-chunk path is plain
    ``getattr`` whether the chunk is an SDK object or a dict (a proxy's raw JSON)."""

    __slots__ = ("data",)

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def __getattr__(self, name: str) -> Any:
        value = self.data.get(name)
        if type(value) is dict:
            return _View(cast("dict[str, Any]", value))
        if type(value) is list:
            return [
                _View(cast("dict[str, Any]", v)) if type(v) is dict else v
                for v in cast("list[Any]", value)
            ]
        return value


def _new_choice() -> dict[str, Any]:
    return {"text": [], "tool_calls": {}, "role": None, "finish_reason": None}


class ChatStreamHandler(StreamHandler):
    """Accumulates streamed chat chunks (text, tool-call deltas, usage) per choice."""

    def __init__(self, call: LLMCall, *, legacy: bool = False) -> None:
        super().__init__()
        self._call = call
        self._legacy = legacy
        self._first = True
        self._id: Any = None
        self._model: Any = None
        self._usage: Any = None
        self._choices: dict[int, dict[str, Any]] = {}

    def _process_chunk(self, chunk: Any) -> None:
        # Hot path (every chunk): builtin getattr only, state built once per choice.
        if type(chunk) is dict:
            chunk = _View(cast("dict[str, Any]", chunk))
        if self._first:
            self._first = False
            self._call.first_chunk()
        # Until known: some providers (Azure) open with a content-filter chunk whose id
        # and model are empty.
        if not self._id:
            self._id = getattr(chunk, "id", None) or None
        if not self._model:
            self._model = getattr(chunk, "model", None) or None
        usage = getattr(chunk, "usage", None)
        if usage is not None:
            self._usage = usage.data if type(usage) is _View else usage
        choices = getattr(chunk, "choices", None)
        if not choices:
            return
        states = self._choices
        for position, choice in enumerate(choices):
            index = getattr(choice, "index", None)
            key = index if type(index) is int else position
            state = states.get(key)
            if state is None:
                state = states[key] = _new_choice()
            finish = getattr(choice, "finish_reason", None)
            if finish is not None:
                state["finish_reason"] = finish
            if self._legacy:
                state["text"].append(getattr(choice, "text", None) or "")
                continue
            delta = getattr(choice, "delta", None)
            if delta is None:
                continue
            content = getattr(delta, "content", None)
            if content:
                state["text"].append(content)
            role = getattr(delta, "role", None)
            if role:
                state["role"] = role
            tool_calls = getattr(delta, "tool_calls", None)
            if tool_calls:
                self._tool_deltas(state, tool_calls)

    @staticmethod
    def _tool_deltas(state: dict[str, Any], deltas: Any) -> None:
        calls = state["tool_calls"]
        for tool_delta in deltas:
            slot = getattr(tool_delta, "index", None)
            call = calls.setdefault(
                slot if isinstance(slot, int) else len(calls),
                {"id": None, "name": "", "arguments": []},
            )
            call_id = getattr(tool_delta, "id", None)
            if call_id:
                call["id"] = call_id
            function = getattr(tool_delta, "function", None)
            name = getattr(function, "name", None)
            if name:
                call["name"] += name
            arguments = getattr(function, "arguments", None)
            if arguments:
                call["arguments"].append(arguments)

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
        response = {"id": self._id, "model": self._model, "usage": self._usage}
        return {**{k: v for k, v in response.items() if v is not None}, "choices": choices}

    def _record(self) -> None:
        response = self._assembled()
        self._call.record(
            x.chat_response_attributes(response),
            {GenAIAttributes.OUTPUT_MESSAGES: x.output_messages(response["choices"])}
            if self._call.capture
            else None,
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
