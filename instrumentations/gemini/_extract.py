"""Pure extraction: google-genai requests -> attributes and parts, responses -> attributes
and parts.

No span, no patching: the call's kwargs (``model``, ``contents``, ``config``) and the
SDK's pydantic objects (or the dicts the SDK accepts in their place, in snake_case or
camelCase) in; attribute dicts and GenAI parts out. ``contents`` takes every shape the
SDK does: a string, a ``Part``, a ``Content``, or a list of any of them (bare strings and
parts in a list make one user message, as the SDK sends them). Parts map to the
conventions: text, thought text as reasoning, ``function_call`` as tool_call,
``function_response`` as tool_call_response, inline data as blob, file data as uri.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any, cast

from spanwise.semconv import GenAIAttributes as G
from spanwise.semconv import parts

from .._extract import items

__all__ = [
    "embeddings_response_attributes",
    "finish_reason",
    "input_messages",
    "model_name",
    "output_messages",
    "reason_name",
    "request_attributes",
    "response_attributes",
    "role_name",
    "system_instructions",
    "tool_definitions",
    "usage_attributes",
]


def field(obj: Any, snake: str, camel: str | None = None) -> Any:
    """A field of an SDK object or of a dict in either spelling (hot: every response and
    stream chunk reads a dozen, most of them unset)."""
    kind: type[Any] = type(obj)  # pyright: ignore[reportUnknownVariableType]
    if kind is dict:
        found = cast("dict[str, Any]", obj)
        value = found.get(snake)
        return found.get(camel) if value is None and camel is not None else value
    value = getattr(obj, snake, None)
    if value is None and obj is not None:
        mapping = _MAPPING.get(kind)  # inlined _is_mapping: most reads here find None
        if mapping is None:
            mapping = _is_mapping(obj)
        if mapping:
            value = obj.get(snake)
            if value is None and camel is not None:
                value = obj.get(camel)
    return value


_MAPPING: dict[type, bool] = {}  # per type: the ABC check costs more than the read


def _is_mapping(obj: Any) -> bool:
    kind = cast("type[Any]", type(obj))  # pyright: ignore[reportUnknownArgumentType]
    known = _MAPPING.get(kind)
    if known is None:
        known = _MAPPING[kind] = isinstance(obj, Mapping)
    return known


def _int(value: Any) -> int | None:
    if type(value) is int:  # the usual case, without the two isinstance checks
        return value
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _number(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None


def model_name(model: Any) -> str | None:
    """The model without its resource path (``models/x``, ``publishers/google/models/x``)."""
    if not isinstance(model, str) or not model:
        return None
    return (
        model.rpartition("models/")[2]
        if model.startswith(("models/", "publishers/", "projects/"))
        else model
    )


# -- requests ----------------------------------------------------------------------------

# config field -> (attribute, kind); camelCase spelling derived.
_CONFIG: tuple[tuple[str, str, str, type], ...] = (
    ("temperature", "temperature", G.REQUEST_TEMPERATURE, float),
    ("top_p", "topP", G.REQUEST_TOP_P, float),
    ("top_k", "topK", G.REQUEST_TOP_K, float),
    ("max_output_tokens", "maxOutputTokens", G.REQUEST_MAX_TOKENS, int),
    ("presence_penalty", "presencePenalty", G.REQUEST_PRESENCE_PENALTY, float),
    ("frequency_penalty", "frequencyPenalty", G.REQUEST_FREQUENCY_PENALTY, float),
    ("seed", "seed", G.REQUEST_SEED, int),
)


def request_attributes(kwargs: Mapping[str, Any], *, stream: bool) -> dict[str, Any]:
    """Metadata of a generate_content request (no content)."""
    attrs: dict[str, Any] = {}
    config = kwargs.get("config")
    if config is not None:
        for snake, camel, name, kind in _CONFIG:
            value = field(config, snake, camel)
            if kind is int:
                value = _int(value)
                if value is not None:
                    attrs[name] = value
            else:
                value = _number(value)
                if value is not None:
                    attrs[name] = value
        stop = field(config, "stop_sequences", "stopSequences")
        if isinstance(stop, (list, tuple)) and stop:
            attrs[G.REQUEST_STOP_SEQUENCES] = [str(s) for s in items(stop)]
        count = _int(field(config, "candidate_count", "candidateCount"))
        if count is not None and count != 1:
            attrs[G.REQUEST_CHOICE_COUNT] = count
        mime = field(config, "response_mime_type", "responseMimeType")
        if mime == "application/json":
            attrs[G.OUTPUT_TYPE] = "json"
        elif mime == "text/plain":
            attrs[G.OUTPUT_TYPE] = "text"
    if stream:
        attrs[G.REQUEST_STREAM] = True
    return attrs


def embeddings_request_attributes(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    attrs: dict[str, Any] = {}
    dimensions = _int(field(kwargs.get("config"), "output_dimensionality", "outputDimensionality"))
    if dimensions is not None:
        attrs[G.EMBEDDINGS_DIMENSION_COUNT] = dimensions
    return attrs


# -- content -------------------------------------------------------------------------------


def _is_content(value: Any) -> bool:
    """A ``Content`` (role and parts), not a ``Part``."""
    return field(value, "parts") is not None or (isinstance(value, Mapping) and "role" in value)


def _modality(mime: Any) -> str:
    kind = str(mime or "").partition("/")[0]
    return kind if kind in ("image", "video", "audio") else "file"


def part(value: Any) -> parts.Part | None:
    """One SDK part (or a string) as a GenAI part; None for an empty one."""
    if isinstance(value, str):
        return parts.text(value)
    text = field(value, "text")
    if isinstance(text, str):
        return parts.reasoning(text) if field(value, "thought") is True else parts.text(text)
    call = field(value, "function_call", "functionCall")
    if call is not None:
        return parts.tool_call(
            field(call, "id"), str(field(call, "name") or ""), _plain(field(call, "args"))
        )
    result = field(value, "function_response", "functionResponse")
    if result is not None:
        return parts.tool_call_response(field(result, "id"), _plain(field(result, "response")))
    inline = field(value, "inline_data", "inlineData")
    if inline is not None:
        mime = field(inline, "mime_type", "mimeType")
        data = field(inline, "data")
        encoded = base64.b64encode(data).decode() if isinstance(data, bytes) else str(data or "")
        return parts.blob(_modality(mime), encoded, mime)  # type: ignore[arg-type]
    file = field(value, "file_data", "fileData")
    if file is not None:
        mime = field(file, "mime_type", "mimeType")
        return parts.uri(_modality(mime), str(field(file, "file_uri", "fileUri") or ""), mime)  # type: ignore[arg-type]
    for snake, camel in (
        ("executable_code", "executableCode"),
        ("code_execution_result", "codeExecutionResult"),
    ):
        if field(value, snake, camel) is not None:
            return parts.generic(snake)
    return None


def _plain(value: Any) -> Any:
    dump = getattr(value, "model_dump", None)
    if callable(dump) and not isinstance(value, type):
        return dump(exclude_none=True)
    return value


def role_name(role: Any) -> str:
    return "assistant" if role == "model" else str(role or "user")


def _message(content: Any, default_role: str = "user") -> parts.ChatMessage:
    converted: list[parts.Part] = []
    for value in items(field(content, "parts")):
        converted_part = part(value)
        if converted_part is not None:
            converted.append(converted_part)
    role = field(content, "role") or default_role
    if role == "user" and converted and all(p["type"] == "tool_call_response" for p in converted):
        role = "tool"  # function responses go back as the user's turn: a tool message
    return parts.chat_message(role_name(role), converted)


def input_messages(contents: Any) -> list[parts.ChatMessage]:
    """The request's ``contents`` in every shape the SDK takes."""
    if contents is None:
        return []
    if type(contents) is str:  # the commonest request: one user text
        return [parts.chat_message("user", [parts.text(contents)])]
    values: list[Any] = contents if isinstance(contents, list) else [contents]  # pyright: ignore[reportUnknownVariableType]
    out: list[parts.ChatMessage] = []
    loose: list[parts.Part] = []  # strings and parts in a row: one user message
    for value in values:
        if not isinstance(value, str) and _is_content(value):
            if loose:
                out.append(parts.chat_message("user", loose))
                loose = []
            out.append(_message(value))
            continue
        converted = part(value)
        if converted is not None:
            loose.append(converted)
    if loose:
        out.append(parts.chat_message("user", loose))
    return out


def system_instructions(config: Any) -> list[parts.Part]:
    """``config.system_instruction`` (a string, a part, a content, or a list) as parts."""
    instruction = field(config, "system_instruction", "systemInstruction")
    if instruction is None:
        return []
    return [p for message in input_messages(instruction) for p in message["parts"]]


def tool_definitions(config: Any) -> list[dict[str, Any]]:
    """Function declarations (and Python callables, by name and docstring) of the tools."""
    out: list[dict[str, Any]] = []
    for tool in items(field(config, "tools")):
        if callable(tool) and not hasattr(tool, "function_declarations"):
            out.append(
                parts.tool_definition(
                    getattr(tool, "__name__", str(tool)), getattr(tool, "__doc__", None)
                )
            )
            continue
        declarations = field(tool, "function_declarations", "functionDeclarations")
        for declaration in items(declarations):
            out.append(
                parts.tool_definition(
                    str(field(declaration, "name") or ""),
                    field(declaration, "description"),
                    _plain(field(declaration, "parameters")),
                )
            )
        if not declarations:
            for kind in ("google_search", "code_execution", "retrieval", "url_context"):
                if field(tool, kind) is not None:
                    out.append({"type": kind, "name": kind})
    return out


# -- responses -------------------------------------------------------------------------------

_FINISH = {
    "stop": "stop",
    "max_tokens": "length",
    "safety": "content_filter",
    "recitation": "content_filter",
    "blocklist": "content_filter",
    "prohibited_content": "content_filter",
    "spii": "content_filter",
    "image_safety": "content_filter",
}


# (type, finish reason) -> its lower-case name: an enum's ``name`` is slow to read, and
# a str enum equals its value, so the type is part of the key.
_REASONS: dict[tuple[type, Any], str] = {}


def reason_name(value: Any) -> str | None:
    """Gemini's finish reason in lower case (``FinishReason.STOP`` -> ``stop``)."""
    if value is None:
        return None
    key: tuple[type[Any], Any] = (type(value), value)  # pyright: ignore[reportUnknownVariableType]
    try:
        name = _REASONS.get(key)
    except TypeError:  # unhashable: not cached
        return (getattr(value, "name", None) or str(value)).lower()
    if name is None:
        name = (getattr(value, "name", None) or str(value)).lower()
        if len(_REASONS) < 256:  # enum members are few; strings could be anything
            _REASONS[key] = name
    return name


def finish_reason(reason: str | None, message: parts.ChatMessage | None = None) -> str:
    """The conventions' finish reason (a function call: ``tool_call``)."""
    if message is not None:
        for message_part in message["parts"]:
            if message_part["type"] == "tool_call":
                return "tool_call"
    if not reason:
        return "error"
    return _FINISH.get(reason, reason)


def usage_attributes(usage: Any) -> dict[str, Any]:
    """Token counts: thoughts are output tokens too (and reasoning), cached content is
    part of the prompt (and cache reads)."""
    attrs: dict[str, Any] = {}
    if usage is None:
        return attrs
    prompt = _int(field(usage, "prompt_token_count", "promptTokenCount"))
    candidates = _int(field(usage, "candidates_token_count", "candidatesTokenCount"))
    thoughts = _int(field(usage, "thoughts_token_count", "thoughtsTokenCount"))
    cached = _int(field(usage, "cached_content_token_count", "cachedContentTokenCount"))
    if prompt is not None:
        attrs[G.USAGE_INPUT_TOKENS] = prompt
    if candidates is not None or thoughts is not None:
        attrs[G.USAGE_OUTPUT_TOKENS] = (candidates or 0) + (thoughts or 0)
    if thoughts is not None:
        attrs[G.USAGE_REASONING_OUTPUT_TOKENS] = thoughts
    if cached is not None:
        attrs[G.USAGE_CACHE_READ_INPUT_TOKENS] = cached
    return attrs


def response_attributes(response: Any) -> dict[str, Any]:
    """Metadata of a response (no content); tolerant of missing fields."""
    attrs: dict[str, Any] = {}
    response_id = field(response, "response_id", "responseId")
    if response_id:
        attrs[G.RESPONSE_ID] = str(response_id)
    model = field(response, "model_version", "modelVersion")
    if model:
        attrs[G.RESPONSE_MODEL] = str(model)
    reasons = [
        reason_name(field(c, "finish_reason", "finishReason")) or "error"
        for c in items(field(response, "candidates"))
    ]
    if reasons:
        attrs[G.RESPONSE_FINISH_REASONS] = reasons
    attrs.update(usage_attributes(field(response, "usage_metadata", "usageMetadata")))
    return attrs


def output_messages(candidates: Any) -> list[parts.OutputMessage]:
    """Candidates in the parts format, one output message per candidate."""
    out: list[parts.OutputMessage] = []
    for candidate in items(candidates):
        message = _message(field(candidate, "content"), "model")
        reason = finish_reason(
            reason_name(field(candidate, "finish_reason", "finishReason")), message
        )
        out.append(parts.output_message(message["role"], message["parts"], reason))
    return out


def embeddings_response_attributes(response: Any) -> dict[str, Any]:
    """The embedding dimension and, where Vertex AI reports them, the input tokens."""
    attrs: dict[str, Any] = {}
    embeddings = items(field(response, "embeddings"))
    if embeddings:
        values = field(embeddings[0], "values")
        if isinstance(values, list):
            attrs[G.EMBEDDINGS_DIMENSION_COUNT] = len(values)  # pyright: ignore[reportUnknownArgumentType]
    counts = [_int(field(field(e, "statistics"), "token_count", "tokenCount")) for e in embeddings]
    if counts and all(c is not None for c in counts):
        attrs[G.USAGE_INPUT_TOKENS] = sum(c for c in counts if c is not None)
    return attrs
