"""Translation in: any common LLM span convention -> spanwise's canonical keys.

The canonical form is the GenAI conventions (v1.41.0 names, messages in the parts
format) plus ``spanwise.*``. Spans written in OpenInference, OpenLLMetry/Traceloop,
MLflow or the GenAI conventions' deprecated names are rewritten into it: each foreign
key that was understood is replaced (so nothing is held twice), keys nobody claims stay
as they were, and a span's own canonical keys always win over translated ones.

Pure and idempotent: a canonical span comes back unchanged (the same object), which is
the common case and costs one scan of the keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from spanwise.semconv import GenAIDeprecated as D

from .._records import EventRecord, SpanRecord
from . import _genai, _mlflow, _openinference, _traceloop

__all__ = ["TRANSLATION_VERSION", "canonical", "canonical_record"]

# Bumped when a rule changes what a stored span reads as (stored records are raw, so
# they are always read through the current rules).
TRANSLATION_VERSION = 1

_MLFLOW = ("mlflow.",)
_OPENINFERENCE = (
    "openinference.",
    "input.value",
    "output.value",
    "llm.input_messages.",
    "llm.output_messages.",
    "llm.model_name",
    "llm.provider",
    "llm.system",
    "llm.token_count.",
    "llm.invocation_parameters",
    "llm.tools.",
    "embedding.",
    "retrieval.documents.",
)
_TRACELOOP = (
    "traceloop.",
    "llm.request.type",
    "llm.request.functions.",
    "llm.usage.",
    "gen_ai.prompt.",
    "gen_ai.completion.",
    "gen_ai.usage.cache_read_input_tokens",
    "gen_ai.usage.cache_creation_input_tokens",
)
_DEPRECATED = frozenset(
    {D.SYSTEM, D.PROMPT, D.COMPLETION, D.USAGE_PROMPT_TOKENS, D.USAGE_COMPLETION_TOKENS}
)
_IS_MLFLOW, _IS_OPENINFERENCE, _IS_TRACELOOP, _IS_DEPRECATED = 1, 2, 4, 8

# Which conventions a key belongs to, memoized: keys repeat from span to span, so the
# common case (a canonical span) costs one dict lookup per key. Bounded, because a
# receiver's keys come from anyone.
_KIND_CACHE: dict[str, int] = {}
_KIND_CACHE_SIZE = 16_384
# The same for a span's whole key set (in order): spans of one instrumentation repeat
# theirs, and one lookup costs less than one per key. Bounded in entries and in keys
# per entry (an entry holds its keys: at most ~5 MB).
_KINDS_BY_KEYS: dict[tuple[str, ...], int] = {}
_KEY_SETS = 2048
_KEY_SET_KEYS = 32


def _kind(key: str) -> int:
    kind = (
        (_IS_MLFLOW if key.startswith(_MLFLOW) else 0)
        | (_IS_OPENINFERENCE if key.startswith(_OPENINFERENCE) else 0)
        | (_IS_TRACELOOP if key.startswith(_TRACELOOP) else 0)
        | (_IS_DEPRECATED if key in _DEPRECATED else 0)
    )
    if len(_KIND_CACHE) < _KIND_CACHE_SIZE:
        _KIND_CACHE[key] = kind
    return kind


def canonical(
    attributes: Mapping[str, Any], events: list[EventRecord]
) -> tuple[Mapping[str, Any], list[EventRecord]]:
    """The span's attributes and events in the canonical form."""
    keys = tuple(attributes)
    kinds = _KINDS_BY_KEYS.get(keys)
    if kinds is None:
        cache = _KIND_CACHE
        kinds = 0
        for key in keys:
            kind = cache.get(key)
            kinds |= _kind(key) if kind is None else kind
        if len(keys) <= _KEY_SET_KEYS and len(_KINDS_BY_KEYS) < _KEY_SETS:
            _KINDS_BY_KEYS[keys] = kinds
    message_events = bool(events) and any(e["name"] in _genai.MESSAGE_EVENTS for e in events)
    if not kinds and not message_events:
        return attributes, events
    attrs = dict(attributes)
    if kinds & _IS_MLFLOW:
        _mlflow.translate(attrs)
    if kinds & _IS_OPENINFERENCE:
        _openinference.translate(attrs)
    if kinds & _IS_TRACELOOP:
        _traceloop.translate(attrs)
    if kinds & _IS_DEPRECATED or message_events:
        events = _genai.translate(attrs, events)
    return attrs, events


def canonical_record(record: SpanRecord) -> SpanRecord:
    """The record in the canonical form (the same object when it already is)."""
    attributes, events = canonical(record["attributes"], record["events"])
    if attributes is record["attributes"] and events is record["events"]:
        return record
    # canonical() made a new dict for the translated attributes: no second copy.
    return {**record, "attributes": attributes, "events": events}  # pyright: ignore[reportReturnType]
