"""A trace's conversation (MLflow's "session"): which chat a trace is one turn of.

Frameworks and SDKs name it in different places: LangGraph's thread, AG2's chat and the
OpenAI Responses API's ``conversation`` become ``gen_ai.conversation.id`` on their spans;
``update_current_trace(session_id=...)`` and OpenInference's ``session.id`` become the
trace metadata ``mlflow.trace.session``; users also write ``metadata={"session": ...}``.
The trace's conversation is read once, where its summary is made, and kept as the trace
metadata ``mlflow.trace.session`` (where MLflow keeps sessions and searches them).

Which one wins: the local root's (its metadata ``mlflow.trace.session``, then its
metadata ``session``, then its ``gen_ai.conversation.id``), else the earliest span's
that has one (the same keys). A trace is one turn of one conversation; where spans
disagree, the root speaks for the trace.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from spanwise.semconv import GenAIAttributes, MLflowAttributes, SpanwiseAttributes

from ._records import SpanRecord

__all__ = [
    "CONVERSATION_KEY",
    "SESSION_METADATA",
    "add_conversation",
    "span_conversation",
    "trace_conversation",
]

# The trace metadata key that holds the conversation (MLflow's session).
CONVERSATION_KEY = MLflowAttributes.TRACE_SESSION
# The metadata key users write by hand (``metadata={"session": ...}``).
SESSION_METADATA = "session"
_KEYS = (
    SpanwiseAttributes.TRACE_METADATA_PREFIX + CONVERSATION_KEY,
    SpanwiseAttributes.TRACE_METADATA_PREFIX + SESSION_METADATA,
    GenAIAttributes.CONVERSATION_ID,
)


def span_conversation(attributes: Mapping[str, Any]) -> str | None:
    """The conversation a span's attributes name, or None (empty values name none)."""
    for key in _KEYS:
        value = attributes.get(key)
        if value is not None and value != "":
            return value if isinstance(value, str) else str(value)
    return None


def trace_conversation(root: SpanRecord, records: Iterable[SpanRecord]) -> str | None:
    """The root's conversation, else that of the earliest of ``records`` (by start, then
    span id) that names one."""
    found = span_conversation(root["attributes"])
    if found is not None:
        return found
    best: tuple[int, str] | None = None
    session, hand_written, conversation = _KEYS
    for record in records:
        attributes = record["attributes"]
        # Membership tests first (half the cost of the lookups): most spans name none.
        if session in attributes or hand_written in attributes or conversation in attributes:
            named = span_conversation(attributes)
            at = (record["start"], record["span_id"])
            if named is not None and (best is None or at < best):
                best, found = at, named
    return found


def add_conversation(
    metadata: dict[str, str], root: SpanRecord, records: Iterable[SpanRecord]
) -> None:
    """Set ``metadata[CONVERSATION_KEY]`` to the trace's conversation when the trace has
    one and its metadata does not name it already."""
    if CONVERSATION_KEY in metadata:
        return
    found = trace_conversation(root, records)
    if found is not None:
        metadata[CONVERSATION_KEY] = found
