"""Stream accumulation: Anthropic's server-sent events in, the message they add up to out.

The same raw events arrive from ``messages.create(stream=True)`` and from the
``messages.stream()`` helper (whose ``MessageStream`` reads them through the proxy), so
one handler serves both. When the stream ends, however it ends, what was received is
recorded as a non-streamed message would be.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from spanwise.common._access import get
from spanwise.common._json import loads
from spanwise.semconv import GenAIAttributes

from .._llm import LLMCall
from .._stream import RecordingHandler
from . import _extract as x

__all__ = ["MessageStreamHandler"]


class MessageStreamHandler(RecordingHandler):
    """Accumulates ``message_start``, content block and ``message_delta`` events."""

    def __init__(self, call: LLMCall) -> None:
        super().__init__(call)
        # The messages.stream() helper accumulates the message itself: given its
        # snapshot, the handler only times the first event and reads the snapshot at the
        # end instead of accumulating a second copy.
        self.snapshot: Callable[[], Any] | None = None
        self._message: dict[str, Any] = {}
        self._usage: dict[str, Any] = {}
        self._blocks: dict[int, dict[str, Any]] = {}
        self._json: dict[int, list[str]] = {}

    def _process_chunk(self, chunk: Any) -> None:
        self._first_chunk()
        if self.snapshot is not None:
            return
        kind = getattr(chunk, "type", None)
        if kind == "content_block_delta":  # the common case first
            self._delta(chunk)
        elif kind == "content_block_start":
            block = getattr(chunk, "content_block", None)
            index = getattr(chunk, "index", len(self._blocks))
            self._blocks[index] = _as_dict(block)
        elif kind == "message_start":
            message = getattr(chunk, "message", None)
            self._message = {
                "id": getattr(message, "id", None),
                "model": getattr(message, "model", None),
                "role": getattr(message, "role", None),
            }
            self._usage.update(_as_dict(getattr(message, "usage", None)))
        elif kind == "message_delta":
            delta = getattr(chunk, "delta", None)
            reason = getattr(delta, "stop_reason", None)
            if reason is not None:
                self._message["stop_reason"] = reason
            # Later counts replace earlier ones (message_delta carries the final usage).
            usage = _as_dict(getattr(chunk, "usage", None))
            self._usage.update({k: v for k, v in usage.items() if v is not None})

    def _delta(self, chunk: Any) -> None:
        index = getattr(chunk, "index", 0)
        block = self._blocks.setdefault(index, {"type": "text", "text": ""})
        delta = getattr(chunk, "delta", None)
        kind = getattr(delta, "type", None)
        if kind == "text_delta":
            block["text"] = block.get("text", "") + (getattr(delta, "text", "") or "")
        elif kind == "input_json_delta":
            self._json.setdefault(index, []).append(getattr(delta, "partial_json", "") or "")
        elif kind == "thinking_delta":
            block["thinking"] = block.get("thinking", "") + (getattr(delta, "thinking", "") or "")

    def _assembled(self) -> dict[str, Any]:
        """What was received, shaped like a ``Message``."""
        content: list[dict[str, Any]] = []
        for index in sorted(self._blocks):
            block = self._blocks[index]
            pieces = self._json.get(index)
            if pieces is not None:
                raw = "".join(pieces)
                try:
                    block["input"] = loads(raw) if raw else {}
                except (ValueError, RecursionError):  # cut off mid-way, or absurdly deep
                    block["input"] = raw
            content.append(block)
        message = {k: v for k, v in self._message.items() if v is not None}
        message["content"] = content
        if self._usage:
            message["usage"] = self._usage
        return message

    def _record(self) -> None:
        message = self.snapshot() if self.snapshot is not None else self._assembled()
        if message is None:  # ended before message_start
            return
        received = get(message, "content") or get(message, "stop_reason") is not None
        self.call.record(
            x.response_attributes(message),
            {GenAIAttributes.OUTPUT_MESSAGES: [x.output_message(message)]}
            if self.call.capture and received
            else None,
        )


def _as_dict(value: Any) -> dict[str, Any]:
    """An SDK model (or dict) as a plain dict of its fields."""
    if value is None:
        return {}
    if isinstance(value, dict):
        return dict(value)  # pyright: ignore[reportUnknownArgumentType]
    dump: Any = getattr(value, "model_dump", None)
    fields: dict[str, Any] = dump() if dump is not None else {}
    return fields
