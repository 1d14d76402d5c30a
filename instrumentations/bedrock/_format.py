"""What every ``invoke_model`` body format is made of, and the helpers they share.

A :class:`Format` is one model family's body: the invocation kind, its request
parameters (:mod:`.._extract` rules), its content (prompt or messages, system prompt,
tools) and its response's metadata and output messages. The helpers here read what
families spell alike: finish reasons, token counts (the model's, or the ones Bedrock
meters for every model), a prompt as the user's message. Pure: no span, no patching.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from spanwise.semconv import GenAIAttributes as G
from spanwise.semconv import parts

from .._extract import Rule, get, int_rule, number_rule, stop_rule
from .._invocation import Kind

__all__ = [
    "MAX_TOKENS",
    "STOP_SEQUENCES",
    "TEMPERATURE",
    "TOP_K",
    "TOP_P",
    "Content",
    "Format",
    "Response",
    "count",
    "finish_reason",
    "identity",
    "metered_usage",
    "none",
    "output",
    "prompt",
    "reasons",
    "rules",
    "usage",
]

Content = dict[str, Any]
Response = tuple[dict[str, Any], list[parts.OutputMessage]]


def none(body: Mapping[str, Any]) -> Content:
    return {}


def no_response(body: Any) -> Response:
    return {}, []


@dataclass(frozen=True, slots=True)
class Format:
    """One family's body: how it becomes attributes and parts."""

    name: str
    kind: Kind
    rules: Mapping[str, Rule] = field(default_factory=dict[str, Rule])
    content: Callable[[Mapping[str, Any]], Content] = none
    response: Callable[[Any], Response] = no_response

    @property
    def reads_response(self) -> bool:
        """Whether the family's response body is understood (worth reading)."""
        return self.response is not no_response


def count(value: Any) -> int | None:
    """A count (some chunks send ``3.0``)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


_STOP = frozenset(
    ("stop", "end_turn", "stop_sequence", "complete", "finish", "endoftext", "stop_criteria_met")
)
_LENGTH = frozenset(("length", "max_tokens", "max_length", "model_length"))
_FILTER = frozenset(("content_filtered", "error_toxic", "guardrail_intervened", "content_filter"))
_TOOL = frozenset(("tool_use", "tool_calls", "tool_call"))


def finish_reason(reason: Any) -> str:
    """A family's finish reason in the conventions' words (``FINISH``, ``COMPLETE``,
    ``end_turn`` -> ``stop``; ``LENGTH``, ``MAX_TOKENS`` -> ``length``; ...)."""
    if reason is None:
        return "error"
    word = str(reason).lower()
    if word in _STOP:
        return "stop"
    if word in _LENGTH:
        return "length"
    if word in _FILTER:
        return "content_filter"
    if word in _TOOL:
        return "tool_call"
    return word


def output(text: Any, reason: Any) -> parts.OutputMessage:
    content: list[parts.Part] = [parts.text(text)] if isinstance(text, str) else []
    return parts.output_message("assistant", content, finish_reason(reason))


def reasons(*values: Any) -> dict[str, Any]:
    found = [str(v) for v in values if v is not None]
    return {G.RESPONSE_FINISH_REASONS: found} if found else {}


def usage(input_tokens: Any, output_tokens: Any) -> dict[str, Any]:
    attrs: dict[str, Any] = {}
    for value, name in (
        (input_tokens, G.USAGE_INPUT_TOKENS),
        (output_tokens, G.USAGE_OUTPUT_TOKENS),
    ):
        found = count(value)
        if found is not None:
            attrs[name] = found
    return attrs


def metered_usage(counts: Mapping[str, Any], keys: tuple[str, str, str, str]) -> dict[str, Any]:
    """The token counts Bedrock meters for every model (the invoke_model response's
    ``x-amzn-bedrock-*-token-count`` headers, a stream's invocation metrics), under their
    ``keys`` (input, output, cache read, cache write): input counts the cache too."""
    values = [counts.get(key) for key in keys]
    found = [int(v) if isinstance(v, str) and v.isdigit() else count(v) for v in values]
    inputs, output, read, write = found
    attrs: dict[str, Any] = {}
    if read:
        attrs[G.USAGE_CACHE_READ_INPUT_TOKENS] = read
    if write:
        attrs[G.USAGE_CACHE_CREATION_INPUT_TOKENS] = write
    if inputs is not None:
        attrs[G.USAGE_INPUT_TOKENS] = inputs + (read or 0) + (write or 0)
    if output is not None:
        attrs[G.USAGE_OUTPUT_TOKENS] = output
    return attrs


def identity(body: Any, key: str = "id") -> dict[str, Any]:
    value = get(body, key)
    return {G.RESPONSE_ID: str(value)} if value else {}


def prompt(key: str) -> Callable[[Mapping[str, Any]], Content]:
    """A prompt-style body's content: the prompt as the user's message."""

    def content(body: Mapping[str, Any]) -> Content:
        prompt = body.get(key)
        if not isinstance(prompt, str):
            return {}
        return {G.INPUT_MESSAGES: [parts.chat_message("user", [parts.text(prompt)])]}

    return content


def rules(*specs: tuple[str, str, type[int] | type[float] | None]) -> dict[str, Rule]:
    """Parameter rules: (body key, attribute, int / float), or (body key, "", None) for
    stop sequences (their attribute is the rule's own)."""
    out: dict[str, Rule] = {}
    for key, name, kind in specs:
        if kind is None:
            out[key] = stop_rule(key)
        elif kind is int:
            out[key] = int_rule(key, name)
        else:
            out[key] = number_rule(key, name, float)
    return out


STOP_SEQUENCES = ("stop_sequences", G.REQUEST_STOP_SEQUENCES, None)
TEMPERATURE = ("temperature", G.REQUEST_TEMPERATURE, float)
TOP_P = ("top_p", G.REQUEST_TOP_P, float)
TOP_K = ("top_k", G.REQUEST_TOP_K, float)
MAX_TOKENS = ("max_tokens", G.REQUEST_MAX_TOKENS, int)
