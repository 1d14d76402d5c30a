"""Stream accumulation: Anthropic's server-sent events in, the message they add up to out.

The same raw events arrive from ``messages.create(stream=True)`` and from the
``messages.stream()`` helper (whose ``MessageStream`` reads them through the proxy), so
one handler serves both. When the stream ends, however it ends, what was received is
recorded as a non-streamed message would be. Fields of an unexpected shape (a text delta
that is a list or a number, an index that is not an integer) are recorded as well as
they can be, never assumed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from spanwise.common._access import get
from spanwise.common._json import loads
from spanwise.semconv import GenAIAttributes

from .._llm import LLMCall
from .._stream import RecordingHandler, delta_json, delta_text
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
            block = _as_dict(getattr(chunk, "content_block", None))
            for key in ("text", "thinking"):  # what deltas add to: text
                if key in block and not isinstance(block[key], str):
                    block[key] = delta_text(block[key])
            self._blocks[self._index(chunk, len(self._blocks))] = block
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

    @staticmethod
    def _index(chunk: Any, default: int) -> int:
        index = getattr(chunk, "index", None)
        return index if isinstance(index, int) else default

    def _delta(self, chunk: Any) -> None:
        index = self._index(chunk, 0)
        block = self._blocks.setdefault(index, {"type": "text", "text": ""})
        delta = getattr(chunk, "delta", None)
        kind = getattr(delta, "type", None)
        if kind == "text_delta":
            block["text"] = block.get("text", "") + delta_text(getattr(delta, "text", None))
        elif kind == "input_json_delta":
            self._json.setdefault(index, []).append(
                delta_json(getattr(delta, "partial_json", None))
            )
        elif kind == "thinking_delta":
            thinking = delta_text(getattr(delta, "thinking", None))
            block["thinking"] = block.get("thinking", "") + thinking

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
            {GenAIAttributes.OUTPUT_MESSAGES: x.output_messages_payload(message)}
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
    # warnings=False: a field of an unexpected type is dumped as it is, without a warning.
    fields: Any = dump(warnings=False) if callable(dump) else None
    return dict(fields) if isinstance(fields, dict) else {}  # pyright: ignore[reportUnknownArgumentType]
