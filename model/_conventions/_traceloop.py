"""OpenLLMetry / Traceloop spans -> canonical keys."""

from __future__ import annotations

from typing import Any

from spanwise.semconv import GenAIAttributes as G
from spanwise.semconv import OperationName, SpanType, SpanwiseAttributes
from spanwise.semconv import Traceloop as T

from ._common import (
    as_dict,
    as_int,
    dumps,
    indexed,
    indexed_many,
    loads,
    message,
    put,
)

__all__ = ["translate"]

_KIND_TO_SPAN_TYPE = {
    "workflow": SpanType.CHAIN.value,
    "task": SpanType.CHAIN.value,
    "agent": SpanType.AGENT.value,
    "tool": SpanType.TOOL.value,
}
_TOOL = SpanType.TOOL.value
_REQUEST_TYPE = {
    "chat": (SpanType.CHAT_MODEL.value, OperationName.CHAT),
    "completion": (SpanType.LLM.value, OperationName.TEXT_COMPLETION),
    "embedding": (SpanType.EMBEDDING.value, OperationName.EMBEDDINGS),
    "rerank": (SpanType.RERANKER.value, None),
}


_MESSAGE_SCALARS = frozenset({"role", "content", "tool_call_id", "finish_reason"})


def _message(flat: dict[str, Any], *, output: bool) -> dict[str, Any]:
    # Only scalar keys (the common case) means no tool_calls.<j>.* to group.
    calls = [] if _MESSAGE_SCALARS.issuperset(flat) else indexed(flat, "tool_calls.")
    return message(
        flat.get("role"),
        flat.get("content") or None,  # "" beside tool calls means no text
        [(c.get("id"), c.get("name"), c.get("arguments")) for c in calls],
        tool_call_id=flat.get("tool_call_id"),
        finish_reason=flat.get("finish_reason"),
        output=output,
    )


def _entity(value: Any) -> str | None:
    """traceloop.entity.input/output as JSON text. Often ``{"args": [...], "kwargs":
    {...}}``: keyword-only calls become their kwargs; JSON text is otherwise kept as
    recorded (not decoded and encoded again)."""
    if value is None:
        return None
    data = loads(value)
    call = as_dict(data)
    if call is not None and set(call) <= {"args", "kwargs"} and not call.get("args"):
        return dumps(as_dict(call.get("kwargs")) or {})
    if data is not value and isinstance(value, str):
        return value  # valid JSON already
    return dumps(data)


def translate(attrs: dict[str, Any]) -> None:
    kind = str(attrs.pop(T.SPAN_KIND, "") or "").lower()
    request_type = str(attrs.pop(T.REQUEST_TYPE, "") or "").lower()
    span_type = _KIND_TO_SPAN_TYPE.get(kind)
    if request_type in _REQUEST_TYPE:
        llm_type, operation = _REQUEST_TYPE[request_type]
        span_type = span_type or llm_type
        put(attrs, G.OPERATION_NAME, operation)
    if span_type:
        put(attrs, SpanwiseAttributes.SPAN_TYPE, span_type)

    inputs = _entity(attrs.pop(T.ENTITY_INPUT, None))
    outputs = _entity(attrs.pop(T.ENTITY_OUTPUT, None))
    if span_type == _TOOL:
        put(attrs, G.TOOL_NAME, attrs.get(T.ENTITY_NAME))
        put(attrs, G.TOOL_CALL_ARGUMENTS, inputs)
        put(attrs, G.TOOL_CALL_RESULT, outputs)
    else:
        put(attrs, SpanwiseAttributes.SPAN_INPUTS, inputs)
        put(attrs, SpanwiseAttributes.SPAN_OUTPUTS, outputs)

    groups = indexed_many(attrs, (T.PROMPT_PREFIX, T.COMPLETION_PREFIX, T.FUNCTIONS_PREFIX))
    prompts = [_message(m, output=False) for m in groups.get(T.PROMPT_PREFIX, ())]
    if prompts:
        put(attrs, G.INPUT_MESSAGES, dumps(prompts))
    completions = [_message(m, output=True) for m in groups.get(T.COMPLETION_PREFIX, ())]
    if completions:
        put(attrs, G.OUTPUT_MESSAGES, dumps(completions))
    functions = groups.get(T.FUNCTIONS_PREFIX, [])
    if functions:
        put(
            attrs,
            G.TOOL_DEFINITIONS,
            dumps(
                [
                    {
                        "type": "function",
                        "name": f.get("name") or "",
                        **({"description": f["description"]} if f.get("description") else {}),
                        **({"parameters": loads(f["parameters"])} if f.get("parameters") else {}),
                    }
                    for f in functions
                ]
            ),
        )

    put(attrs, G.USAGE_CACHE_READ_INPUT_TOKENS, as_int(attrs.pop(T.USAGE_CACHE_READ, None)))
    put(attrs, G.USAGE_CACHE_CREATION_INPUT_TOKENS, as_int(attrs.pop(T.USAGE_CACHE_CREATION, None)))
    attrs.pop(T.USAGE_TOTAL_TOKENS, None)  # derived: input + output

    # Association properties (user, session, anything the app set) are trace metadata.
    size = len(T.ASSOCIATION_PREFIX)
    for key in [k for k in attrs if k.startswith(T.ASSOCIATION_PREFIX)]:
        value = attrs.pop(key)
        put(
            attrs,
            SpanwiseAttributes.TRACE_METADATA_PREFIX + key[size:],
            value if isinstance(value, str) else dumps(value),
        )
