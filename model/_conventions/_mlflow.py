"""MLflow Tracing spans (``mlflow.spanType``, ``mlflow.spanInputs``...) -> canonical keys."""

from __future__ import annotations

from typing import Any

from spanwise.semconv import GenAIAttributes as G
from spanwise.semconv import MLflowAttributes as M
from spanwise.semconv import SpanType, SpanwiseAttributes

from ._common import as_int, dumps, loads, put

__all__ = ["translate"]


def translate(attrs: dict[str, Any]) -> None:
    span_type = loads(attrs.pop(M.SPAN_TYPE, None))
    if isinstance(span_type, str) and span_type:
        put(attrs, SpanwiseAttributes.SPAN_TYPE, span_type)
    # MLflow's values are JSON already: kept as recorded (spanwise's keys are JSON too).
    inputs = attrs.pop(M.SPAN_INPUTS, None)
    outputs = attrs.pop(M.SPAN_OUTPUTS, None)
    if span_type == SpanType.TOOL.value:
        put(attrs, G.TOOL_CALL_ARGUMENTS, inputs)
        put(attrs, G.TOOL_CALL_RESULT, outputs)
    else:
        put(attrs, SpanwiseAttributes.SPAN_INPUTS, inputs)
        put(attrs, SpanwiseAttributes.SPAN_OUTPUTS, outputs)
    attrs.pop(M.TRACE_REQUEST_ID, None)  # the trace id, already the span's own
    attrs.pop(M.MESSAGE_FORMAT, None)
    usage = loads(attrs.pop(M.CHAT_USAGE, None))
    if isinstance(usage, dict):
        for key, target in (
            (M.USAGE_INPUT, G.USAGE_INPUT_TOKENS),
            (M.USAGE_OUTPUT, G.USAGE_OUTPUT_TOKENS),
            (M.USAGE_CACHE_READ, G.USAGE_CACHE_READ_INPUT_TOKENS),
        ):
            put(attrs, target, as_int(usage.get(key)))  # pyright: ignore[reportUnknownMemberType]
    put(attrs, G.REQUEST_MODEL, loads(attrs.pop(M.MODEL, None)))
    put(attrs, G.PROVIDER_NAME, loads(attrs.pop(M.MODEL_PROVIDER, None)))
    tools = loads(attrs.pop(M.CHAT_TOOLS, None))
    if isinstance(tools, list):
        from .._chat_format import tool_definitions

        put(attrs, G.TOOL_DEFINITIONS, dumps(tool_definitions(tools)))
    size = len(M.TRACE_TAG_PREFIX)
    for key in [k for k in attrs if k.startswith(M.TRACE_TAG_PREFIX)]:
        value = attrs.pop(key)
        if key[size:] != M.TRACE_NAME:  # the trace's name is its root span's name
            put(attrs, SpanwiseAttributes.TRACE_TAG_PREFIX + key[size:], str(value))
