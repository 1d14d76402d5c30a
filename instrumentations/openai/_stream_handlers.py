"""Stream accumulation for the Responses API (chat streams are the shared core's
``ChatStreamHandler``, named here too for the callers that import it from here).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from spanwise.semconv import GenAIAttributes, parts

from .._chat_stream import ChatStreamHandler
from .._llm import LLMCall
from .._stream import RecordingHandler, delta_text
from . import _extract as x

__all__ = ["ChatStreamHandler", "ResponsesStreamHandler"]


class ResponsesStreamHandler(RecordingHandler):
    """Responses API events: the final response arrives whole in ``response.completed``
    (or ``.incomplete``/``.failed``); text deltas keep what an early stop received."""

    def __init__(self, call: LLMCall, respond: Callable[[LLMCall, Any], None]) -> None:
        super().__init__(call)
        self._respond = respond  # how a whole response is recorded
        self._final: Any = None
        self._text: list[str] = []

    def _process_chunk(self, chunk: Any) -> None:
        self._first_chunk()
        kind = str(x.get(chunk, "type") or "")
        if kind == "response.output_text.delta":
            self._text.append(delta_text(x.get(chunk, "delta")))
        elif kind in ("response.completed", "response.incomplete", "response.failed"):
            self._final = x.get(chunk, "response")

    def _record(self) -> None:
        if self._final is not None:
            self._respond(self.call, self._final)
        elif self._text:
            message = parts.output_message("assistant", [parts.text("".join(self._text))], None)
            self.call.set_content(GenAIAttributes.OUTPUT_MESSAGES, [message])
