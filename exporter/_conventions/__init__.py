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
_FOREIGN = _MLFLOW + _OPENINFERENCE + _TRACELOOP


def canonical(
    attributes: Mapping[str, Any], events: list[EventRecord]
) -> tuple[Mapping[str, Any], list[EventRecord]]:
    """The span's attributes and events in the canonical form."""
    foreign = [k for k in attributes if k.startswith(_FOREIGN) or k in _DEPRECATED]
    if not foreign and not any(e["name"] in _genai.MESSAGE_EVENTS for e in events):
        return attributes, events
    attrs = dict(attributes)
    if any(k.startswith(_MLFLOW) for k in foreign):
        _mlflow.translate(attrs)
    if any(k.startswith(_OPENINFERENCE) for k in foreign):
        _openinference.translate(attrs)
    if any(k.startswith(_TRACELOOP) for k in foreign):
        _traceloop.translate(attrs)
    events = _genai.translate(attrs, events)
    return attrs, events


def canonical_record(record: SpanRecord) -> SpanRecord:
    """The record in the canonical form (the same object when it already is)."""
    attributes, events = canonical(record["attributes"], record["events"])
    if attributes is record["attributes"] and events is record["events"]:
        return record
    return {**record, "attributes": dict(attributes), "events": events}
