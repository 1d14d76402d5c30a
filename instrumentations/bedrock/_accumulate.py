"""What a stream's events add up to: Converse's events (also Amazon Nova's invoke_model
chunks) and each model family's ``invoke_model_with_response_stream`` chunks, in; the
response a non-streamed call would have returned, out. Pure: no span, no patching.
Fields of an unexpected shape are read with ``delta_text`` / ``delta_json``, never
assumed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from spanwise.common._json import loads

from .._stream import delta_json, delta_text

__all__ = ["ACCUMULATORS", "ConverseAccumulator", "obj"]


def obj(value: Any) -> dict[str, Any]:
    """A JSON object of a chunk (anything else: empty)."""
    return cast("dict[str, Any]", value) if type(value) is dict else {}


# -- Converse events (also Amazon Nova's invoke_model chunks) ---------------------------------


_NO_INDEX = object()


class ConverseAccumulator:
    """Converse stream events in, a Converse response out."""

    __slots__ = ("blocks", "role", "stop", "usage")

    def __init__(self) -> None:
        self.role: Any = None
        self.stop: Any = None
        self.usage: Any = None
        # index -> [kind, pieces, tool use id, tool name]
        self.blocks: dict[Any, list[Any]] = {}

    def add(self, event: dict[str, Any]) -> None:
        delta = event.get("contentBlockDelta")
        if type(delta) is dict:  # the common case first: a piece of text
            delta = cast("dict[str, Any]", delta)
            change = obj(delta.get("delta"))
            index = delta.get("contentBlockIndex", 0)
            text = change.get("text")
            if type(text) is str:
                block = self.blocks.get(index)
                if block is not None and block[0] == "text":
                    block[1].append(text)
                    return
                self._block(index, "text").append(text)
            elif text is not None:
                self._block(index, "text").append(delta_text(text))
            elif "toolUse" in change:
                self._block(index, "tool").append(delta_json(obj(change["toolUse"]).get("input")))
            elif "reasoningContent" in change:
                piece = obj(change["reasoningContent"]).get("text")
                if piece is not None:
                    self._block(index, "reasoning").append(delta_text(piece))
            return
        start = event.get("contentBlockStart")
        if start is not None:
            start = obj(start)
            use = obj(start.get("start")).get("toolUse")
            if use is not None:
                use = obj(use)
                index = start.get("contentBlockIndex", 0)
                self.blocks[index] = ["tool", [], use.get("toolUseId"), use.get("name")]
        elif "messageStart" in event:
            self.role = obj(event["messageStart"]).get("role")
        elif "messageStop" in event:
            self.stop = obj(event["messageStop"]).get("stopReason")
        elif "metadata" in event:
            self.usage = obj(event["metadata"]).get("usage")

    def add_all(self, events: list[Any]) -> None:
        """Every event; text deltas (nearly all of a stream) inline, the rest by
        :meth:`add`."""
        add = self.add
        current_index: Any = _NO_INDEX
        current: list[str] = []
        for event in events:
            if event.__class__ is not dict:
                continue
            delta: Any = event.get("contentBlockDelta")
            if delta.__class__ is dict:
                change: Any = delta.get("delta")
                text: Any = change.get("text") if change.__class__ is dict else None
                if text.__class__ is str:
                    index: Any = delta.get("contentBlockIndex", 0)
                    if index != current_index:
                        current, current_index = self._block(index, "text"), index
                    current.append(text)
                    continue
            add(event)

    def _block(self, index: Any, kind: str) -> list[str]:
        block = self.blocks.get(index)
        if block is None:
            block = self.blocks[index] = [kind, [], None, None]
        return block[1]

    def response(self) -> dict[str, Any] | None:
        """What arrived, shaped like a Converse response (None: nothing did)."""
        if self.role is None and not self.blocks and self.stop is None:
            return None
        content: list[dict[str, Any]] = []
        for key in sorted(self.blocks, key=lambda k: k if isinstance(k, int) else 0):
            kind, pieces, use_id, name = self.blocks[key]
            joined = "".join(pieces)
            if kind == "text":
                content.append({"text": joined})
            elif kind == "reasoning":
                content.append({"reasoningContent": {"reasoningText": {"text": joined}}})
            else:
                try:
                    arguments: Any = loads(joined) if joined else {}
                except (ValueError, RecursionError):  # cut off mid-way
                    arguments = joined
                content.append({"toolUse": {"toolUseId": use_id, "name": name, "input": arguments}})
        message = {"role": self.role or "assistant", "content": content}
        return {"output": {"message": message}, "stopReason": self.stop, "usage": self.usage}


# -- invoke_model_with_response_stream: each family's chunks ----------------------------------


class _Anthropic:
    """Anthropic's Messages events (as JSON) in, a message out."""

    __slots__ = ("blocks", "message", "usage")

    def __init__(self) -> None:
        self.message: dict[str, Any] = {}
        self.usage: dict[str, Any] = {}
        self.blocks: dict[Any, dict[str, Any]] = {}

    def add(self, chunk: dict[str, Any]) -> None:
        kind = chunk.get("type")
        if kind == "content_block_delta":
            block = self.blocks.setdefault(chunk.get("index", 0), {"type": "text", "text": ""})
            delta = obj(chunk.get("delta"))
            if delta.get("type") == "input_json_delta":
                block["json"] = block.get("json", "") + delta_json(delta.get("partial_json"))
            elif delta.get("type") == "thinking_delta":
                block["thinking"] = block.get("thinking", "") + delta_text(delta.get("thinking"))
            else:
                block["text"] = block.get("text", "") + delta_text(delta.get("text"))
        elif kind == "content_block_start":
            block = dict(obj(chunk.get("content_block")))
            self.blocks[chunk.get("index", len(self.blocks))] = block
        elif kind == "message_start":
            message = obj(chunk.get("message"))
            self.message = {k: message.get(k) for k in ("id", "model", "role")}
            self.usage.update(obj(message.get("usage")))
        elif kind == "message_delta":
            reason = obj(chunk.get("delta")).get("stop_reason")
            if reason is not None:
                self.message["stop_reason"] = reason
            usage = obj(chunk.get("usage"))
            self.usage.update({k: v for k, v in usage.items() if v is not None})

    def response(self) -> dict[str, Any]:
        content: list[dict[str, Any]] = []
        for key in sorted(self.blocks, key=lambda k: k if isinstance(k, int) else 0):
            block = self.blocks[key]
            raw = block.pop("json", None)
            if raw is not None:
                try:
                    block["input"] = loads(raw) if raw else {}
                except (ValueError, RecursionError):
                    block["input"] = raw
            content.append(block)
        return {**self.message, "content": content, "usage": self.usage or None}


class _Text:
    """A family whose chunks each carry a piece of text and some fields: ``read(chunk)``
    gives both, ``build(text, fields)`` the response they add up to."""

    __slots__ = ("build", "fields", "pieces", "read")

    def __init__(
        self,
        read: Callable[[dict[str, Any]], tuple[Any, dict[str, Any]]],
        build: Callable[[str, dict[str, Any]], dict[str, Any]],
    ) -> None:
        self.read, self.build = read, build
        self.pieces: list[str] = []
        self.fields: dict[str, Any] = {}

    def add(self, chunk: dict[str, Any]) -> None:
        text, fields = self.read(chunk)
        if text is not None:
            self.pieces.append(delta_text(text))
        self.fields.update({k: v for k, v in fields.items() if v is not None})

    def response(self) -> dict[str, Any]:
        return self.build("".join(self.pieces), self.fields)


def _pick(chunk: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: chunk.get(k) for k in keys}


def _first(value: Any) -> dict[str, Any]:
    return obj(value[0]) if isinstance(value, list) and value else {}


def _titan() -> _Text:
    return _Text(
        lambda c: (c.get("outputText"), _pick(c, "completionReason", "inputTextTokenCount",
                                              "totalOutputTextTokenCount")),
        lambda text, f: {"inputTextTokenCount": f.get("inputTextTokenCount"), "results": [
            {"outputText": text, "completionReason": f.get("completionReason"),
             "tokenCount": f.get("totalOutputTextTokenCount")}]},
    )  # fmt: skip


def _llama() -> _Text:
    return _Text(
        lambda c: (c.get("generation"), _pick(c, "stop_reason", "prompt_token_count",
                                              "generation_token_count")),
        lambda text, f: {"generation": text, **f},
    )  # fmt: skip


def _mistral() -> _Text:
    def read(chunk: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        output = _first(chunk.get("outputs"))
        return output.get("text"), _pick(output, "stop_reason")

    return _Text(read, lambda text, f: {"outputs": [{"text": text, **f}]})


def _chat() -> _Text:
    def read(chunk: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        choice = _first(chunk.get("choices"))
        message = obj(choice.get("delta") or choice.get("message"))
        reason = choice.get("finish_reason") or choice.get("stop_reason")
        return message.get("content"), {
            "finish_reason": reason,
            **_pick(chunk, "id", "model", "usage"),
        }

    def build(text: str, fields: dict[str, Any]) -> dict[str, Any]:
        reason = fields.pop("finish_reason", None)
        choice = {"message": {"role": "assistant", "content": text}, "finish_reason": reason}
        return {**fields, "choices": [choice]}

    return _Text(read, build)


def _cohere() -> _Text:
    def read(chunk: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        if chunk.get("event_type") == "text-generation":
            return chunk.get("text"), {}
        return None, _pick(chunk, "finish_reason", "response")

    def build(text: str, fields: dict[str, Any]) -> dict[str, Any]:
        final = obj(fields.get("response"))  # stream-end carries the whole response
        body: dict[str, Any] = dict(final) if final else {"text": text}
        body.setdefault("finish_reason", fields.get("finish_reason"))
        return body

    return _Text(read, build)


def _cohere_text() -> _Text:
    def read(chunk: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        source = _first(chunk.get("generations")) or chunk
        return source.get("text"), _pick(source, "finish_reason")

    return _Text(read, lambda text, f: {"generations": [{"text": text, **f}]})


ACCUMULATORS: dict[str, Callable[[], Any]] = {
    "anthropic": _Anthropic,
    "nova": ConverseAccumulator,
    "titan": _titan,
    "llama": _llama,
    "mistral": _mistral,
    "chat": _chat,
    "cohere": _cohere,
    "cohere-text": _cohere_text,
}
