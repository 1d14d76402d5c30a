"""Stream accumulation: Mistral's completion events in, the response they add up to out.

``chat.stream()`` yields ``CompletionEvent`` objects whose ``data`` is a Chat Completions
chunk: text deltas (a string, or a list of chunks where the model reasons: ``thinking``
then ``text``), tool calls (Mistral sends each whole, with its id, in one delta), the
finish reason and, in the last chunk, the usage. The handler sees every event on the
caller's thread (the hot path: plain ``getattr``; most events are one more text delta of
the one choice) and, when the stream ends however it ends, records what was received as
a non-streamed response would be recorded.
"""

from __future__ import annotations

from typing import Any

from spanwise.semconv import GenAIAttributes

from .._llm import LLMCall
from .._stream import RecordingHandler
from . import _extract as x

__all__ = ["CompletionStreamHandler"]


class _Choice:
    __slots__ = ("finish_reason", "other", "role", "text", "thinking", "tool_calls")

    def __init__(self) -> None:
        self.role: Any = None
        self.finish_reason: Any = None
        self.text: list[str] = []
        self.thinking: list[str] = []
        self.other: list[Any] = []  # chunks that are neither text nor thinking
        self.tool_calls: list[_ToolCall] = []

    def content(self, chunks: list[Any]) -> None:
        for chunk in chunks:
            kind = x.get(chunk, "type")
            if kind == "text":
                self.text.append(str(x.get(chunk, "text") or ""))
            elif kind == "thinking":
                thought = x.get(chunk, "thinking")
                for piece in thought if isinstance(thought, list) else [thought]:  # pyright: ignore[reportUnknownVariableType]
                    text = piece if isinstance(piece, str) else x.get(piece, "text")
                    if text:
                        self.thinking.append(str(text))
            else:
                self.other.append(x.plain(chunk))

    def tool_deltas(self, deltas: list[Any]) -> None:
        """A delta with a new id (or, without ids, a new index) starts a call; anything
        else continues the last one (an API that streams arguments in pieces)."""
        calls = self.tool_calls
        for delta in deltas:
            call_id = x.get(delta, "id")
            if call_id == "null":  # the SDK's default for an absent id
                call_id = None
            index = x.get(delta, "index")
            function = x.get(delta, "function")
            last = calls[-1] if calls else None
            if (
                last is None
                or (call_id is not None and call_id != last.id)
                or (call_id is None and last.id is None and index != last.index)
            ):
                last = _ToolCall(call_id, index)
                calls.append(last)
            last.add(x.get(function, "name"), x.get(function, "arguments"))

    def message(self) -> dict[str, Any]:
        """What was received, shaped like a response's message."""
        text = "".join(self.text)
        content: Any = text or None
        if self.thinking or self.other:  # a list of chunks, reasoning first
            chunks: list[Any] = []
            if self.thinking:
                thought = [{"type": "text", "text": "".join(self.thinking)}]
                chunks.append({"type": "thinking", "thinking": thought})
            chunks += self.other
            if text:
                chunks.append({"type": "text", "text": text})
            content = chunks
        message: dict[str, Any] = {"role": self.role or "assistant", "content": content}
        if self.tool_calls:
            message["tool_calls"] = [c.as_dict() for c in self.tool_calls]
        return message


class _ToolCall:
    """One streamed tool call: its id, name and arguments (JSON pieces, or an object)."""

    __slots__ = ("id", "index", "name", "pieces", "value")

    def __init__(self, call_id: Any, index: Any) -> None:
        self.id = call_id
        self.index = index
        self.name = ""
        self.pieces: list[str] = []
        self.value: Any = None  # arguments that arrived as an object

    def add(self, name: Any, arguments: Any) -> None:
        if name and not self.name:
            self.name = str(name)
        if isinstance(arguments, str):
            self.pieces.append(arguments)
        elif arguments is not None:
            self.value = x.plain(arguments)

    def as_dict(self) -> dict[str, Any]:
        arguments = self.value if self.value is not None else "".join(self.pieces)
        function = {"name": self.name, "arguments": arguments}
        out: dict[str, Any] = {"type": "function", "function": function}
        if self.id is not None:
            out["id"] = self.id
        return out


class CompletionStreamHandler(RecordingHandler):
    """Accumulates streamed chat events (text, thinking, tool calls, usage) per choice."""

    def __init__(self, call: LLMCall) -> None:
        super().__init__(call)
        self._id: Any = None
        self._model: Any = None
        self._usage: Any = None
        self._choices: dict[int, _Choice] = {}
        # (index, text pieces) of the choice the last one-choice event was for: most
        # events are one more text delta of it, taken without the general path below.
        self._fast: tuple[Any, list[str]] | None = None

    def _process_chunk(self, chunk: Any) -> None:
        data = getattr(chunk, "data", chunk)  # a CompletionEvent: its chunk
        fast = self._fast
        if fast is not None:
            try:
                choices = data.choices
                if len(choices) == 1 and data.usage is None:
                    choice = choices[0]
                    if choice.index == fast[0] and choice.finish_reason is None:
                        delta = choice.delta
                        content = delta.content
                        if type(content) is str and not delta.tool_calls:
                            if content:
                                fast[1].append(content)
                            return
            except (AttributeError, TypeError):  # a field missing: the general path
                pass
        self._general(data)

    def _general(self, data: Any) -> None:
        get = x.get
        self._first_chunk()
        if not self._id:
            self._id = get(data, "id") or None
        if not self._model:
            self._model = get(data, "model") or None
        usage = get(data, "usage")
        if usage:
            self._usage = usage
        choices = x.items(get(data, "choices"))
        states = self._choices
        for position, choice in enumerate(choices):
            index = get(choice, "index")
            key = index if type(index) is int else position
            state = states.get(key)
            if state is None:
                state = states[key] = _Choice()
            finish = get(choice, "finish_reason")
            if finish:
                state.finish_reason = finish
            delta = get(choice, "delta")
            if state.role is None:
                role = get(delta, "role")
                if role:
                    state.role = role
            content = get(delta, "content")
            if isinstance(content, str):
                if content:
                    state.text.append(content)
            elif isinstance(content, list):
                state.content(content)  # pyright: ignore[reportUnknownArgumentType]
            tool_calls = get(delta, "tool_calls")
            if tool_calls:
                state.tool_deltas(x.items(tool_calls))
        if len(choices) == 1:
            index = get(choices[0], "index")
            key = index if type(index) is int else 0
            self._fast = (index, states[key].text)
        else:
            self._fast = None

    def _assembled(self) -> dict[str, Any]:
        """What was received, shaped like a non-streamed response."""
        choices = [
            {
                "index": index,
                "finish_reason": state.finish_reason,
                "message": state.message(),
            }
            for index, state in sorted(self._choices.items())
        ]
        response = {"id": self._id, "model": self._model, "usage": self._usage}
        return {**{k: v for k, v in response.items() if v is not None}, "choices": choices}

    def _record(self) -> None:
        if not self._choices and self._id is None:  # ended before the first event
            return
        response = self._assembled()
        self.call.record(
            x.chat_response_attributes(response),
            {GenAIAttributes.OUTPUT_MESSAGES: x.output_messages(response["choices"])}
            if self.call.capture
            else None,
        )
