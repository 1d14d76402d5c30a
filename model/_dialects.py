"""Translation out: the attribute dialect each backend understands.

* ``genai`` (default): spans as recorded, GenAI conventions plus ``spanwise.*``.
* ``mlflow``: adds ``mlflow.spanType``, ``mlflow.spanInputs``/``spanOutputs``,
  ``mlflow.chat.tokenUsage``, ``mlflow.traceTag.<k>`` and the trace name, so an MLflow
  server shows span types, I/O, tokens and tags.
* ``openinference``: adds ``openinference.span.kind``, ``input.value``/``output.value``,
  ``llm.*`` (model, provider, token counts, flattened messages), ``tool.name``, so
  Phoenix/Arize show kinds, I/O and messages.

The dialect is applied by ``DialectSpanExporter`` inside the export path (the batch
processor's thread), never on the application's thread; the span the application
recorded is not changed. Chosen by ``SPANWISE_EXPORT_DIALECT`` or an argument.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from spanwise.semconv import GenAIAttributes as G
from spanwise.semconv import MLflowAttributes as M
from spanwise.semconv import OpenInference as OI
from spanwise.semconv import SpanType, SpanwiseAttributes

from ._chat_out import request_parameters
from ._conventions._common import as_dict, as_list
from ._model import Span, span_token_usage
from ._records import SpanRecord, record_from_otel
from ._translate import span_from_record

__all__ = [
    "DIALECTS",
    "DialectSpanExporter",
    "dialect_attributes",
    "record_dialect_attributes",
    "resolve_dialect",
]

DIALECTS = ("genai", "mlflow", "openinference")
ENV_DIALECT = "SPANWISE_EXPORT_DIALECT"

_OPENINFERENCE_KIND = {
    SpanType.LLM.value: "LLM",
    SpanType.CHAT_MODEL.value: "LLM",
    SpanType.CHAIN.value: "CHAIN",
    SpanType.WORKFLOW.value: "CHAIN",
    SpanType.TASK.value: "CHAIN",
    SpanType.AGENT.value: "AGENT",
    SpanType.TOOL.value: "TOOL",
    SpanType.RETRIEVER.value: "RETRIEVER",
    SpanType.EMBEDDING.value: "EMBEDDING",
    SpanType.RERANKER.value: "RERANKER",
    SpanType.GUARDRAIL.value: "GUARDRAIL",
    SpanType.EVALUATOR.value: "EVALUATOR",
}


def resolve_dialect(dialect: str | None = None) -> str:
    """The dialect asked for (argument, else ``SPANWISE_EXPORT_DIALECT``, else genai)."""
    name = (dialect or os.environ.get(ENV_DIALECT) or "genai").strip().lower()
    if name not in DIALECTS:
        raise ValueError(f"Unknown export dialect {name!r}: use one of {', '.join(DIALECTS)}")
    return name


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def _chat_shaped(span: Span) -> bool:
    """A model call whose inputs/outputs the translation made Chat Completions shaped."""
    a = span.attributes
    inputs: Any = span.inputs
    outputs: Any = span.outputs
    return (G.INPUT_MESSAGES in a and type(inputs) is dict and "messages" in inputs) or (
        G.OUTPUT_MESSAGES in a and type(outputs) is dict and "choices" in outputs
    )


def _mlflow(span: Span) -> dict[str, Any]:
    a = span.attributes
    out: dict[str, Any] = {M.SPAN_TYPE: _json(span.span_type)}
    if span.inputs is not None:
        out[M.SPAN_INPUTS] = _json(span.inputs)
    if span.outputs is not None:
        out[M.SPAN_OUTPUTS] = _json(span.outputs)
    if _chat_shaped(span):  # MLflow's UI then renders the call as a conversation
        out[M.MESSAGE_FORMAT] = _json("openai")
    usage = span_token_usage(a)  # MLflow's keys, cache counts included
    if usage:
        out[M.CHAT_USAGE] = _json(usage)
    model = a.get(G.RESPONSE_MODEL) or a.get(G.REQUEST_MODEL)
    if isinstance(model, str):
        out[M.MODEL] = _json(model)
    provider = a.get(G.PROVIDER_NAME)
    if isinstance(provider, str):
        out[M.MODEL_PROVIDER] = _json(provider)
    tag_prefix = SpanwiseAttributes.TRACE_TAG_PREFIX
    for key, value in a.items():
        if key.startswith(tag_prefix):
            out[M.TRACE_TAG_PREFIX + key[len(tag_prefix) :]] = str(value)
    if span.parent_id is None or span.remote_parent:  # the trace's root: its name
        out[M.TRACE_TAG_PREFIX + M.TRACE_NAME] = span.name
    return out


def _flat_messages(prefix: str, messages: Any, out: dict[str, Any]) -> None:
    """Parts-format messages as OpenInference's flattened ``<prefix>.<i>.message.*``."""
    for i, m in enumerate(map(as_dict, as_list(messages))):
        if m is None:
            continue
        base = f"{prefix}.{i}."
        out[base + OI.MESSAGE_ROLE] = str(m.get("role") or "user")
        texts: list[str] = []
        calls = 0
        for p in map(as_dict, as_list(m.get("parts"))):
            if p is None:
                continue
            kind = p.get("type")
            if kind == "text":
                texts.append(str(p.get("content") or ""))
            elif kind == "tool_call":
                call = f"{base}{OI.MESSAGE_TOOL_CALLS}.{calls}."
                calls += 1
                if p.get("id") is not None:
                    out[call + OI.TOOL_CALL_ID] = str(p["id"])
                out[call + OI.TOOL_CALL_FUNCTION_NAME] = str(p.get("name") or "")
                arguments = p.get("arguments")
                out[call + OI.TOOL_CALL_FUNCTION_ARGUMENTS] = (
                    arguments if isinstance(arguments, str) else _json(arguments)
                )
            elif kind == "tool_call_response":
                if p.get("id") is not None:
                    out[base + OI.MESSAGE_TOOL_CALL_ID] = str(p["id"])
                response = p.get("response")
                texts.append(response if isinstance(response, str) else _json(response))
        if texts:
            out[base + OI.MESSAGE_CONTENT] = "".join(texts)


def _value(value: Any, key: str, mime_key: str, out: dict[str, Any]) -> None:
    if value is None:
        return
    if isinstance(value, str):
        out[key], out[mime_key] = value, OI.MIME_TEXT
    else:
        out[key], out[mime_key] = _json(value), OI.MIME_JSON


def _openinference(span: Span) -> dict[str, Any]:
    a = span.attributes
    out: dict[str, Any] = {OI.SPAN_KIND: _OPENINFERENCE_KIND.get(span.span_type, "CHAIN")}
    _value(span.inputs, OI.INPUT_VALUE, OI.INPUT_MIME_TYPE, out)
    _value(span.outputs, OI.OUTPUT_VALUE, OI.OUTPUT_MIME_TYPE, out)
    _flat_messages(OI.LLM_INPUT_MESSAGES, a.get(G.INPUT_MESSAGES), out)
    outputs = as_list(a.get(G.OUTPUT_MESSAGES))
    _flat_messages(OI.LLM_OUTPUT_MESSAGES, outputs, out)
    first = as_dict(outputs[0]) if outputs else None
    if first is not None and isinstance(first.get("finish_reason"), str):
        out[OI.LLM_FINISH_REASON] = first["finish_reason"]
    params = request_parameters(a)  # the request's model survives a read back
    if params:
        key = (
            OI.EMBEDDING_INVOCATION_PARAMETERS
            if span.span_type == SpanType.EMBEDDING
            else OI.LLM_INVOCATION_PARAMETERS
        )
        out[key] = _json(params)
    model = a.get(G.RESPONSE_MODEL) or a.get(G.REQUEST_MODEL)
    if isinstance(model, str):
        key = OI.EMBEDDING_MODEL_NAME if span.span_type == SpanType.EMBEDDING else OI.LLM_MODEL_NAME
        out[key] = model
    provider = a.get(G.PROVIDER_NAME)
    if isinstance(provider, str):
        out[OI.LLM_PROVIDER] = provider.split(".")[0]  # azure.ai.openai -> azure
        out[OI.LLM_SYSTEM] = provider.split(".")[-1] if provider.startswith("azure") else provider
    prompt, completion = a.get(G.USAGE_INPUT_TOKENS), a.get(G.USAGE_OUTPUT_TOKENS)
    if isinstance(prompt, int):
        out[OI.TOKEN_PROMPT] = prompt
    if isinstance(completion, int):
        out[OI.TOKEN_COMPLETION] = completion
    if isinstance(prompt, int) or isinstance(completion, int):
        out[OI.TOKEN_TOTAL] = (prompt or 0) + (completion or 0)
    cached = a.get(G.USAGE_CACHE_READ_INPUT_TOKENS)
    if isinstance(cached, int):
        out[OI.TOKEN_CACHE_READ] = cached
    if span.span_type == SpanType.TOOL:
        name = a.get(G.TOOL_NAME)
        if isinstance(name, str):
            out[OI.TOOL_NAME] = name
    meta_prefix = SpanwiseAttributes.TRACE_METADATA_PREFIX
    metadata = {k[len(meta_prefix) :]: v for k, v in a.items() if k.startswith(meta_prefix)}
    if M.TRACE_SESSION in metadata:
        out[OI.SESSION_ID] = str(metadata[M.TRACE_SESSION])
    elif G.CONVERSATION_ID in a:  # LangGraph's thread, a Responses conversation: Phoenix's session
        out[OI.SESSION_ID] = str(a[G.CONVERSATION_ID])
    if M.TRACE_USER in metadata:
        out[OI.USER_ID] = str(metadata[M.TRACE_USER])
    if metadata:
        out[OI.METADATA] = _json(metadata)
    tag_prefix = SpanwiseAttributes.TRACE_TAG_PREFIX
    tags = [f"{k[len(tag_prefix) :]}={v}" for k, v in a.items() if k.startswith(tag_prefix)]
    if tags:
        out[OI.TAG_TAGS] = tags
    return out


_BY_DIALECT: dict[str, Callable[[Span], dict[str, Any]]] = {
    "mlflow": _mlflow,
    "openinference": _openinference,
}


def dialect_attributes(span: ReadableSpan, dialect: str) -> dict[str, Any]:
    """The attributes ``dialect`` adds to ``span`` (none for genai)."""
    return record_dialect_attributes(record_from_otel(span), dialect)


def record_dialect_attributes(record: SpanRecord, dialect: str) -> dict[str, Any]:
    """The attributes ``dialect`` adds to the span of ``record`` (none for genai)."""
    build = _BY_DIALECT.get(dialect)
    if build is None:
        return {}
    return build(span_from_record(record))


def _with_attributes(span: ReadableSpan, extra: dict[str, Any]) -> ReadableSpan:
    attributes = dict(span.attributes or {})
    for key, value in extra.items():
        attributes.setdefault(key, value)  # what the span already says wins
    return ReadableSpan(
        name=span.name,
        context=span.context,
        parent=span.parent,
        resource=span.resource,
        attributes=attributes,
        events=span.events,
        links=span.links,
        kind=span.kind,
        status=span.status,
        start_time=span.start_time,
        end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope,
    )


class DialectSpanExporter(SpanExporter):
    """Wraps an exporter (normally OTLP): each span gets the dialect's attributes on
    the way out. A span that cannot be translated is sent as recorded."""

    def __init__(self, inner: SpanExporter, dialect: str | None = None) -> None:
        self.inner = inner
        self.dialect = resolve_dialect(dialect)

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        if self.dialect == "genai":
            return self.inner.export(spans)
        from spanwise.common._safety import report_internal_error

        out: list[ReadableSpan] = []
        for span in spans:
            try:
                out.append(_with_attributes(span, dialect_attributes(span, self.dialect)))
            except Exception as exc:
                report_internal_error("export dialect", exc)
                out.append(span)
        return self.inner.export(out)

    def shutdown(self) -> None:
        self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.inner.force_flush(timeout_millis)
