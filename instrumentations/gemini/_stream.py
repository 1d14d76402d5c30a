"""Stream accumulation: Gemini's streamed responses in, the response they add up to out.

``generate_content_stream`` yields ``GenerateContentResponse`` objects, each a piece of
the answer: per candidate a few new parts (text pieces, thought pieces, whole function
calls), the finish reason and the usage with the last. The handler sees every chunk on
the caller's thread (the hot path: most chunks are one more text piece of the one
candidate) and, when the stream ends however it ends, records what was received as a
non-streamed response would be recorded.
"""

from __future__ import annotations

from typing import Any

from spanwise.semconv import GenAIAttributes

from .._llm import LLMCall
from .._stream import RecordingHandler
from . import _extract as x
from . import _payload as payload

__all__ = ["GenerateStreamHandler"]


class _Text:
    """Text pieces in a row of the same kind (thought or answer): one part."""

    __slots__ = ("pieces", "thought")

    def __init__(self, thought: bool, text: str) -> None:
        self.thought = thought
        self.pieces = [text]


class _Candidate:
    __slots__ = ("finish_reason", "parts", "role")

    def __init__(self) -> None:
        self.role: Any = None
        self.finish_reason: Any = None
        self.parts: list[Any] = []  # _Text runs and whole SDK parts (function calls...)

    def add(self, part: Any) -> None:
        text = x.field(part, "text")
        if isinstance(text, str):
            self.add_text(x.field(part, "thought") is True, text)
        elif part is not None:
            self.parts.append(part)

    def add_text(self, thought: bool, text: str) -> None:
        last = self.parts[-1] if self.parts else None
        if type(last) is _Text and last.thought is thought:
            last.pieces.append(text)
        else:
            self.parts.append(_Text(thought, text))

    def as_dict(self) -> dict[str, Any]:
        out: list[Any] = []
        for item in self.parts:
            if type(item) is _Text:
                text: dict[str, Any] = {"text": "".join(item.pieces)}
                if item.thought:
                    text["thought"] = True
                out.append(text)
            else:
                out.append(item)
        content = {"role": self.role or "model", "parts": out}
        return {"content": content, "finish_reason": self.finish_reason}


class GenerateStreamHandler(RecordingHandler):
    """Accumulates streamed responses (parts, finish reasons, usage) per candidate.

    ``models``: the SDK's response model classes. Once a stream of them is under way
    (its id, one candidate and its role known), a chunk that only adds one text piece to
    that candidate takes the fast path: plain attribute reads, which is what
    ``x.field`` comes to on a pydantic model and its nested models."""

    def __init__(self, call: LLMCall, models: tuple[type, ...] = ()) -> None:
        super().__init__(call)
        self._id: Any = None
        self._model: Any = None
        self._usage: Any = None
        self._candidates: dict[int, _Candidate] = {}
        self._models = models
        # (the chunk type, the candidate's key, its state) once the fast path may run
        self._fast: tuple[type, int, _Candidate] | None = None

    def _process_chunk(self, chunk: Any) -> None:
        fast = self._fast
        if fast is None or type(chunk) is not fast[0] or not self._one_text(chunk, fast):
            self._general(chunk)

    def _one_text(self, chunk: Any, fast: tuple[type, int, _Candidate]) -> bool:
        """The fast path: True if ``chunk`` was one text piece of the one candidate (and
        taken in); False, having changed nothing, for the general path to take it."""
        try:
            candidates: list[Any] = chunk.candidates  # its type checked below
            if type(candidates) is not list or len(candidates) != 1:
                return False
            candidate = candidates[0]
            index = candidate.index
            key = index if type(index) is int else 0
            if key != fast[1] or candidate.finish_reason is not None:
                return False
            pieces: list[Any] = candidate.content.parts
            if type(pieces) is not list or len(pieces) != 1:
                return False
            piece = pieces[0]
            text = piece.text
            if type(text) is not str:
                return False
            thought = piece.thought is True
            usage = chunk.usage_metadata
        except AttributeError:  # a field missing (another SDK version)
            return False
        if usage is not None:
            self._usage = usage
        fast[2].add_text(thought, text)
        return True

    def _general(self, chunk: Any) -> None:
        self._first_chunk()
        field = x.field
        if self._id is None:
            self._id = field(chunk, "response_id", "responseId")
            self._model = field(chunk, "model_version", "modelVersion")
        usage = field(chunk, "usage_metadata", "usageMetadata")
        if usage is not None:
            self._usage = usage
        states = self._candidates
        for position, candidate in enumerate(x.items(field(chunk, "candidates"))):
            index = field(candidate, "index")
            key = index if type(index) is int else position
            state = states.get(key)
            if state is None:
                state = states[key] = _Candidate()
            reason = field(candidate, "finish_reason", "finishReason")
            if reason is not None:
                state.finish_reason = reason
            content = field(candidate, "content")
            if content is None:
                continue
            if state.role is None:
                state.role = field(content, "role")
            for part in x.items(field(content, "parts")):
                state.add(part)
        if (
            self._fast is None
            and self._id is not None
            and len(states) == 1
            and isinstance(chunk, self._models)
        ):
            ((key, state),) = states.items()
            if state.role is not None:
                self._fast = (type(chunk), key, state)

    def _record(self) -> None:
        if not self._candidates and self._id is None:  # ended before the first chunk
            return
        candidates = [state.as_dict() for _, state in sorted(self._candidates.items())]
        response = {
            "response_id": self._id,
            "model_version": self._model,
            "usage_metadata": self._usage,
            "candidates": candidates,
        }
        self.call.record(
            x.response_attributes(response),
            {GenAIAttributes.OUTPUT_MESSAGES: payload.output_messages_payload(candidates)}
            if self.call.capture
            else None,
        )
