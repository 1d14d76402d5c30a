"""OpenInference (Arize, Phoenix) spans -> canonical keys."""

from __future__ import annotations

from typing import Any

from spanwise.semconv import OPERATION_BY_SPAN_TYPE, SpanType, SpanwiseAttributes
from spanwise.semconv import GenAIAttributes as G
from spanwise.semconv import MLflowAttributes as M
from spanwise.semconv import OpenInference as OI

from ._common import (
    as_dict,
    as_int,
    as_list,
    dumps,
    indexed,
    indexed_many,
    loads,
    message,
    put,
)

__all__ = ["KIND_TO_SPAN_TYPE", "PROVIDERS", "translate"]

KIND_TO_SPAN_TYPE: dict[str, str] = {
    "LLM": SpanType.CHAT_MODEL.value,
    "CHAIN": SpanType.CHAIN.value,
    "TOOL": SpanType.TOOL.value,
    "AGENT": SpanType.AGENT.value,
    "RETRIEVER": SpanType.RETRIEVER.value,
    "EMBEDDING": SpanType.EMBEDDING.value,
    "RERANKER": SpanType.RERANKER.value,
    "GUARDRAIL": SpanType.GUARDRAIL.value,
    "EVALUATOR": SpanType.EVALUATOR.value,
    "PROMPT": SpanType.PARSER.value,
}

# llm.provider / llm.system values -> gen_ai.provider.name
PROVIDERS: dict[str, str] = {
    "openai": "openai",
    "anthropic": "anthropic",
    "azure": "azure.ai.openai",
    "google": "gcp.gemini",
    "vertexai": "gcp.vertex_ai",
    "aws": "aws.bedrock",
    "mistralai": "mistral_ai",
    "cohere": "cohere",
    "groq": "groq",
    "deepseek": "deepseek",
    "xai": "x_ai",
}

_UNKNOWN = SpanType.UNKNOWN.value
_CHAT_MODEL = SpanType.CHAT_MODEL.value
_LLM = SpanType.LLM.value
_TOOL = SpanType.TOOL.value

_INVOCATION_PARAMETERS = {
    "temperature": G.REQUEST_TEMPERATURE,
    "top_p": G.REQUEST_TOP_P,
    "max_tokens": G.REQUEST_MAX_TOKENS,
    "max_completion_tokens": G.REQUEST_MAX_TOKENS,
    "seed": G.REQUEST_SEED,
    "frequency_penalty": G.REQUEST_FREQUENCY_PENALTY,
    "presence_penalty": G.REQUEST_PRESENCE_PENALTY,
}


_TOKENS = {
    OI.TOKEN_PROMPT: G.USAGE_INPUT_TOKENS,
    OI.TOKEN_COMPLETION: G.USAGE_OUTPUT_TOKENS,
    OI.TOKEN_CACHE_READ: G.USAGE_CACHE_READ_INPUT_TOKENS,
    OI.TOKEN_CACHE_WRITE: G.USAGE_CACHE_CREATION_INPUT_TOKENS,
    OI.TOKEN_REASONING: G.USAGE_REASONING_OUTPUT_TOKENS,
}

_MODEL, _EMBEDDING_MODEL = OI.LLM_MODEL_NAME, OI.EMBEDDING_MODEL_NAME
_PARAMETERS, _EMBEDDING_PARAMETERS = (
    OI.LLM_INVOCATION_PARAMETERS,
    OI.EMBEDDING_INVOCATION_PARAMETERS,
)
_PROVIDER, _SYSTEM = OI.LLM_PROVIDER, OI.LLM_SYSTEM

_CONTEXT_KEYS = frozenset({OI.SESSION_ID, OI.USER_ID, OI.METADATA, OI.TAG_TAGS})

_IN = OI.LLM_INPUT_MESSAGES + "."
_OUT = OI.LLM_OUTPUT_MESSAGES + "."
_TOOLS = OI.LLM_TOOLS + "."
_DOCUMENTS = OI.RETRIEVAL_DOCUMENTS + "."
_EMBEDDINGS = OI.EMBEDDING_EMBEDDINGS + "."
_INDEXED = (_IN, _OUT, _TOOLS, _DOCUMENTS, _EMBEDDINGS)
_CONTENTS = OI.MESSAGE_CONTENTS + "."
_CALLS = OI.MESSAGE_TOOL_CALLS + "."
_MESSAGE_SCALARS = frozenset(
    {OI.MESSAGE_ROLE, OI.MESSAGE_CONTENT, OI.MESSAGE_NAME, OI.MESSAGE_TOOL_CALL_ID}
)


def _message(flat: dict[str, Any], *, output: bool, finish_reason: Any = None) -> dict[str, Any]:
    """A flattened ``message.*`` group as a parts-format message."""
    content = flat.get(OI.MESSAGE_CONTENT)
    calls: list[tuple[Any, Any, Any]] = []
    if not _MESSAGE_SCALARS.issuperset(flat):  # nested contents or tool calls
        contents = indexed(flat, _CONTENTS)
        if contents:  # multimodal: OpenAI's content parts, then the common conversion
            content = [
                {"type": "image_url", "image_url": {"url": c.get(OI.CONTENT_IMAGE_URL)}}
                if c.get(OI.CONTENT_TYPE) == "image"
                else {"type": "text", "text": c.get(OI.CONTENT_TEXT) or ""}
                for c in contents
            ]
        calls = [
            (
                c.get(OI.TOOL_CALL_ID),
                c.get(OI.TOOL_CALL_FUNCTION_NAME),
                c.get(OI.TOOL_CALL_FUNCTION_ARGUMENTS),
            )
            for c in indexed(flat, _CALLS)
        ]
    return message(
        flat.get(OI.MESSAGE_ROLE),
        content,
        calls,
        tool_call_id=flat.get(OI.MESSAGE_TOOL_CALL_ID),
        name=flat.get(OI.MESSAGE_NAME),
        finish_reason=finish_reason,
        output=output,
    )


def _raw(value: Any, mime: Any) -> Any:
    """input.value / output.value as data (JSON unless the mime type says otherwise)."""
    if value is None:
        return None
    return loads(value) if mime in (OI.MIME_JSON, None) else value


def translate(attrs: dict[str, Any]) -> None:
    pop = attrs.pop
    kind = pop(OI.SPAN_KIND, None)
    span_type = KIND_TO_SPAN_TYPE.get(str(kind).upper(), _UNKNOWN) if kind else _UNKNOWN
    # Parsed only if the span's I/O is taken from them: an LLM span's messages make the
    # raw request and response redundant.
    raw_in, mime_in = pop(OI.INPUT_VALUE, None), pop(OI.INPUT_MIME_TYPE, None)
    raw_out, mime_out = pop(OI.OUTPUT_VALUE, None), pop(OI.OUTPUT_MIME_TYPE, None)

    groups = indexed_many(attrs, _INDEXED)
    finish = pop(OI.LLM_FINISH_REASON, None)
    inputs: Any = None
    outputs: Any = None
    if _IN in groups or _OUT in groups:
        # The messages are the LLM span's I/O; input.value (the raw request) would repeat
        # them, so it is dropped rather than kept twice.
        if _IN in groups:
            put(attrs, G.INPUT_MESSAGES, dumps([_message(m, output=False) for m in groups[_IN]]))
        if _OUT in groups:
            replies = [_message(m, output=True, finish_reason=finish) for m in groups[_OUT]]
            put(attrs, G.OUTPUT_MESSAGES, dumps(replies))
    else:
        inputs, outputs = _raw(raw_in, mime_in), _raw(raw_out, mime_out)
        if span_type == _CHAT_MODEL:
            span_type = _LLM  # a completion-style LLM span (prompt in, text out)

    _model_and_usage(attrs, span_type)

    if _TOOLS in groups:
        from .._chat_format import tool_definitions

        tools = [loads(t.get(OI.TOOL_JSON_SCHEMA)) for t in groups[_TOOLS]]
        put(attrs, G.TOOL_DEFINITIONS, dumps(tool_definitions(tools)))

    if span_type == _TOOL:
        put(attrs, G.TOOL_NAME, pop(OI.TOOL_NAME, None))
        put(attrs, G.TOOL_DESCRIPTION, pop(OI.TOOL_DESCRIPTION, None))
        put(attrs, G.TOOL_CALL_ID, pop(OI.TOOL_CALL_ID, None))
        pop(OI.TOOL_PARAMETERS, None)
        if inputs is not None:
            put(attrs, G.TOOL_CALL_ARGUMENTS, dumps(inputs))
        if outputs is not None:
            put(attrs, G.TOOL_CALL_RESULT, dumps(outputs))
        inputs = outputs = None

    if _DOCUMENTS in groups and outputs is None:
        outputs = [
            {
                "id": d.get(OI.DOCUMENT_ID),
                "page_content": d.get(OI.DOCUMENT_CONTENT),
                "score": d.get(OI.DOCUMENT_SCORE),
                "metadata": loads(d.get(OI.DOCUMENT_METADATA)),
            }
            for d in groups[_DOCUMENTS]
        ]
    if _EMBEDDINGS in groups:  # the texts are the inputs; the vectors are bulk nobody reads
        inputs = [e.get(OI.EMBEDDING_TEXT) for e in groups[_EMBEDDINGS]]

    put(attrs, SpanwiseAttributes.SPAN_TYPE, span_type)
    if inputs is not None:
        put(attrs, SpanwiseAttributes.SPAN_INPUTS, dumps(inputs))
    if outputs is not None:
        put(attrs, SpanwiseAttributes.SPAN_OUTPUTS, dumps(outputs))

    if not _CONTEXT_KEYS.isdisjoint(attrs):
        _trace_context(attrs)


def _model_and_usage(attrs: dict[str, Any], span_type: str) -> None:
    # llm.model_name is what answered; the request's model is in the invocation parameters.
    model = attrs.pop(_MODEL, None) or attrs.pop(_EMBEDDING_MODEL, None)
    raw = attrs.pop(_PARAMETERS, None) or attrs.pop(_EMBEDDING_PARAMETERS, None)
    params = as_dict(loads(raw)) if raw is not None else None
    if params is not None:
        for key, target in _INVOCATION_PARAMETERS.items():
            value = params.get(key)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                put(attrs, target, value)
        put(attrs, G.REQUEST_MODEL, params.get("model"))
    if model is not None:
        put(attrs, G.REQUEST_MODEL, model)
        put(attrs, G.RESPONSE_MODEL, model)
    put(attrs, G.OPERATION_NAME, OPERATION_BY_SPAN_TYPE.get(span_type))
    name = attrs.pop(_PROVIDER, None) or attrs.pop(_SYSTEM, None)
    attrs.pop(_SYSTEM, None)
    if name:
        name = str(name).lower()
        put(attrs, G.PROVIDER_NAME, PROVIDERS.get(name, name))

    for key in [k for k in attrs if k in _TOKENS]:
        put(attrs, _TOKENS[key], as_int(attrs.pop(key)))
    attrs.pop(OI.TOKEN_TOTAL, None)  # derived: input + output


def _trace_context(attrs: dict[str, Any]) -> None:
    # Trace-level context: MLflow's metadata keys for user and session; tags and metadata.
    meta = SpanwiseAttributes.TRACE_METADATA_PREFIX
    put(attrs, meta + M.TRACE_SESSION, attrs.pop(OI.SESSION_ID, None))
    put(attrs, meta + M.TRACE_USER, attrs.pop(OI.USER_ID, None))
    metadata = as_dict(loads(attrs.pop(OI.METADATA, None))) or {}
    for key, value in metadata.items():
        put(attrs, meta + key, value if isinstance(value, str) else dumps(value))
    for tag in as_list(attrs.pop(OI.TAG_TAGS, None)):
        # "key=value" (how spanwise writes tags in this dialect) or a bare label.
        key, equals, value = str(tag).partition("=")
        put(attrs, SpanwiseAttributes.TRACE_TAG_PREFIX + key, value if equals else "true")
