"""The OpenAI SDK's operations: how each kind of call becomes a span.

Each operation (chat, Responses, embeddings, legacy completions) is a
:class:`StainlessOperation` with OpenAI's extractors and stream handlers; the wrappers,
the span lifecycle, raw responses and stream proxies are the shared core's.
"""

from __future__ import annotations

from typing import Any

from spanwise.semconv import GenAIAttributes, parts

from .._invocation import CHAT as CHAT_KIND
from .._invocation import EMBEDDINGS as EMBEDDINGS_KIND
from .._invocation import TEXT_COMPLETION
from .._llm import LLMCall
from .._stainless import ChatCompletionsOperation, StainlessOperation, sdk_models
from .._stream import StreamHandler
from . import _extract as x
from . import _extract_responses as xr
from ._stream_handlers import ChatStreamHandler, ResponsesStreamHandler

__all__ = ["CHAT", "COMPLETIONS", "EMBEDDINGS", "RESPONSES", "Operation"]


class Operation(StainlessOperation):
    """An OpenAI call: the Stainless layer with OpenAI's provider naming."""

    providers = x.PROVIDERS
    models = sdk_models("openai")
    site = "openai"


class _Chat(ChatCompletionsOperation, Operation):
    """Chat Completions: the shared core's operation, with OpenAI's provider naming."""


class _Embeddings(Operation):
    kind = EMBEDDINGS_KIND

    def request_attributes(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        return x.embeddings_request_attributes(kwargs)

    def response(self, call: LLMCall, response: Any) -> None:
        call.record(x.embeddings_response_attributes(response))


class _Completions(Operation):
    """The legacy text completions endpoint."""

    kind = TEXT_COMPLETION

    def request_attributes(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        attrs = x.chat_request_attributes(kwargs)
        attrs[GenAIAttributes.OPERATION_NAME] = TEXT_COMPLETION.operation
        return attrs

    def request_content(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        prompt = kwargs.get("prompt")
        prompts: list[Any] = [prompt] if isinstance(prompt, str) else x.items(prompt)
        return {
            GenAIAttributes.INPUT_MESSAGES: [
                parts.chat_message("user", [parts.text(str(p))]) for p in prompts
            ]
        }

    def response(self, call: LLMCall, response: Any) -> None:
        outputs = [
            parts.output_message(
                "assistant", [parts.text(str(x.get(c, "text") or ""))], x.get(c, "finish_reason")
            )
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

    kind = CHAT_KIND

    def request_attributes(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        return xr.responses_request_attributes(kwargs)

    def request_content(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        instructions = kwargs.get("instructions")
        return {
            GenAIAttributes.SYSTEM_INSTRUCTIONS: [parts.text(instructions)]
            if isinstance(instructions, str)
            else None,
            GenAIAttributes.INPUT_MESSAGES: xr.responses_input_messages(kwargs.get("input")),
            GenAIAttributes.TOOL_DEFINITIONS: x.tool_definitions(kwargs.get("tools")),
        }

    def response(self, call: LLMCall, response: Any) -> None:
        content: dict[str, Any] | None = None
        if call.capture:
            output, reason = xr.responses_output(response)
            content = {
                GenAIAttributes.OUTPUT_MESSAGES: [parts.output_message("assistant", output, reason)]
            }
        call.record(xr.responses_response_attributes(response), content)

    def stream_handler(self, call: LLMCall) -> StreamHandler:
        return ResponsesStreamHandler(call, self.response)


CHAT = _Chat()
EMBEDDINGS = _Embeddings()
COMPLETIONS = _Completions()
RESPONSES = _Responses()
