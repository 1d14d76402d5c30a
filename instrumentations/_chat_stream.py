"""Chat Completions stream accumulation, shared: chunks in, the response they add up to out.

The handler sees every chunk on the caller's thread (the hot path: plain ``getattr``,
state built once per choice) and, when the stream ends however it ends, records what was
received as a non-streamed response would be recorded. Fields of an unexpected shape (a
delta's content as a list of parts or a number, as some compatible servers send, a
``choices`` that is not a list) are recorded as well as they can be, never assumed. A
provider that sends something of its own in a chunk (Groq's ``x_groq.usage``) extends
``_general``, the path every chunk but plain text deltas takes.
"""

from __future__ import annotations

from typing import Any, cast

from spanwise.model._chat_format import REASONING_FIELDS, output_messages_payload
from spanwise.semconv import GenAIAttributes

from ._chat_completions import chat_response_attributes
from ._extract import get
from ._llm import LLMCall
from ._stream import RecordingHandler, delta_json, delta_text

__all__ = ["ChatStreamHandler"]


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


def _sequence(value: Any) -> list[Any] | tuple[Any, ...] | None:
    """A list field as sent (no copy), or None when it is not a list."""
    if type(value) is list or type(value) is tuple:
        return cast("list[Any]", value)
    return None


def _new_choice() -> dict[str, Any]:
    return {"text": [], "reasoning": [], "tool_calls": {}, "role": None, "finish_reason": None}


class ChatStreamHandler(RecordingHandler):
    """Accumulates streamed chat chunks (text, tool-call deltas, usage) per choice."""

    def __init__(self, call: LLMCall, *, legacy: bool = False) -> None:
        super().__init__(call)
        self._legacy = legacy
        self._id: Any = None
        self._model: Any = None
        self._usage: Any = None
        self._choices: dict[int, dict[str, Any]] = {}
        # (index, text pieces) of the choice the last one-choice chunk was for: most
        # chunks are one more text delta of it, taken without the general path below.
        self._fast: tuple[Any, list[str]] | None = None

    def _process_chunk(self, chunk: Any) -> None:
        fast = self._fast
        if fast is not None:
            try:
                choices = chunk.choices
                if len(choices) == 1 and chunk.usage is None:
                    choice = choices[0]
                    if choice.index == fast[0] and choice.finish_reason is None:
                        delta = choice.delta
                        if delta.tool_calls is None:
                            content = delta.content
                            if content:
                                fast[1].append(
                                    content if type(content) is str else delta_text(content)
                                )
                                return
                            # No text: the delta may carry reasoning (the general path).
            except Exception:  # a field missing or of another shape: the general path
                pass
        self._general(chunk)

    def _general(self, chunk: Any) -> None:
        # Builtin getattr only, state built once per choice.
        if type(chunk) is dict:
            chunk = _View(cast("dict[str, Any]", chunk))
        self._first_chunk()
        # Until known: some providers (Azure) open with a content-filter chunk whose id
        # and model are empty.
        if not self._id:
            self._id = getattr(chunk, "id", None) or None
        if not self._model:
            self._model = getattr(chunk, "model", None) or None
        usage = getattr(chunk, "usage", None)
        if usage is not None:
            self._usage = usage.data if type(usage) is _View else usage
        choices = _sequence(getattr(chunk, "choices", None))
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
                state["text"].append(delta_text(getattr(choice, "text", None)))
                continue
            delta = getattr(choice, "delta", None)
            if delta is None:
                continue
            content = getattr(delta, "content", None)
            if content:
                state["text"].append(content if type(content) is str else delta_text(content))
            for key in REASONING_FIELDS:  # get: absent from most SDKs' deltas, cheaply
                reasoning = get(delta.data if type(delta) is _View else delta, key)
                if reasoning and type(reasoning) is str:
                    state["reasoning"].append(reasoning)
            if state["role"] is None:  # sent once, in the first delta
                role = getattr(delta, "role", None)
                if role:
                    state["role"] = role
            tool_calls = _sequence(getattr(delta, "tool_calls", None))
            if tool_calls:
                self._tool_deltas(state, tool_calls)
        if len(choices) == 1 and not self._legacy and type(chunk) is not _View:
            index = getattr(choices[0], "index", None)
            state = states[index if type(index) is int else 0]
            self._fast = (index, state["text"])

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
                call["name"] += delta_text(name)
            arguments = getattr(function, "arguments", None)
            if arguments:
                call["arguments"].append(delta_json(arguments))

    def _assembled(self) -> dict[str, Any]:
        """What was received, shaped like a non-streamed response."""
        choices: list[dict[str, Any]] = []
        for index in sorted(self._choices):
            state = self._choices[index]
            message: dict[str, Any] = {
                "role": state["role"] or "assistant",
                "content": "".join(state["text"]) or None,
            }
            if state["reasoning"]:
                message["reasoning"] = "".join(state["reasoning"])
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
        self.call.record(
            chat_response_attributes(response),
            {GenAIAttributes.OUTPUT_MESSAGES: output_messages_payload(response["choices"])}
            if self.call.capture
            else None,
        )
