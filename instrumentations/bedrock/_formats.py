"""Pure extraction for ``invoke_model``: each model family's JSON body in, attributes and
parts out.

``invoke_model`` passes the model's own request body through and returns the model's own
response body, so what a span can say depends on the family, read from the model id
(``anthropic.claude-...``, ``us.amazon.nova-...``, an inference profile's ARN) and, where
a family has two shapes, from the body: each family is a :class:`._format.Format` here
(its kind, parameters, content and response readers). Unknown models
(imported models, image generators) get the span, the parameters every family shares
and the token counts Bedrock puts in its response headers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from spanwise.model._chat_format import input_messages as chat_input_messages
from spanwise.model._chat_format import output_messages as chat_output_messages
from spanwise.model._chat_format import tool_definitions as chat_tool_definitions
from spanwise.semconv import GenAIAttributes as G
from spanwise.semconv import parts

from .._chat_completions import chat_response_attributes
from .._extract import apply_rules, get, items
from .._invocation import CHAT, EMBEDDINGS, TEXT_COMPLETION
from ..anthropic import _extract as anthropic
from . import _converse as converse
from ._format import (
    MAX_TOKENS,
    STOP_SEQUENCES,
    TEMPERATURE,
    TOP_K,
    TOP_P,
    Content,
    Format,
    Response,
    count,
    finish_reason,
    identity,
    metered_usage,
    none,
    output,
    prompt,
    reasons,
    rules,
    usage,
)

__all__ = [
    "Format",
    "finish_reason",
    "format_for",
    "metered_usage",
    "model_family",
    "request_attributes",
]


# -- Anthropic: the Messages API (and the legacy text completions) -------------------------


def _anthropic_content(body: Mapping[str, Any]) -> Content:
    return {
        G.SYSTEM_INSTRUCTIONS: anthropic.system_instructions(body.get("system")),
        G.INPUT_MESSAGES: anthropic.input_messages(body.get("messages")),
        G.TOOL_DEFINITIONS: anthropic.tool_definitions(body.get("tools")),
    }


def _anthropic_response(body: Any) -> Response:
    return anthropic.response_attributes(body), [anthropic.output_message(body)]


def _anthropic_text_response(body: Any) -> Response:
    reason = get(body, "stop_reason")
    return reasons(reason), [output(get(body, "completion"), reason)]


_ANTHROPIC_RULES = rules(
    MAX_TOKENS,
    ("max_tokens_to_sample", G.REQUEST_MAX_TOKENS, int),
    TEMPERATURE,
    TOP_P,
    TOP_K,
    STOP_SEQUENCES,
)
ANTHROPIC = Format("anthropic", CHAT, _ANTHROPIC_RULES, _anthropic_content, _anthropic_response)
ANTHROPIC_TEXT = Format(
    "anthropic-text", TEXT_COMPLETION, _ANTHROPIC_RULES, prompt("prompt"), _anthropic_text_response
)

# -- Amazon: Nova (Converse's shapes), Titan text and embeddings ----------------------------


def _nova_rules(attrs: dict[str, Any], body: Mapping[str, Any]) -> None:
    config = body["inferenceConfig"]
    if isinstance(config, Mapping):
        converse.inference_attributes(config, attrs, "max_new_tokens")  # pyright: ignore[reportUnknownArgumentType]


def _nova_content(body: Mapping[str, Any]) -> Content:
    return {
        G.SYSTEM_INSTRUCTIONS: converse.system_instructions(body.get("system")),
        G.INPUT_MESSAGES: converse.input_messages(body.get("messages")),
        G.TOOL_DEFINITIONS: converse.tool_definitions(body.get("toolConfig")),
    }


def _nova_response(body: Any) -> Response:
    return converse.response_attributes(body), [converse.output_message(body)]


def _titan_rules(attrs: dict[str, Any], body: Mapping[str, Any]) -> None:
    config = body["textGenerationConfig"]
    if isinstance(config, Mapping):
        config = {("maxTokens" if k == "maxTokenCount" else k): v for k, v in config.items()}  # pyright: ignore[reportUnknownVariableType]
        converse.inference_attributes(config, attrs, "maxTokens")  # pyright: ignore[reportUnknownArgumentType]


def _titan_response(body: Any) -> Response:
    results = items(get(body, "results"))
    outputs = [output(get(r, "outputText"), get(r, "completionReason")) for r in results]
    attrs = reasons(*(get(r, "completionReason") for r in results))
    counts = [count(get(r, "tokenCount")) for r in results]
    known = [c for c in counts if c is not None]
    attrs.update(usage(get(body, "inputTextTokenCount"), sum(known) if known else None))
    return attrs, outputs


def _embedding_response(body: Any) -> Response:
    """Titan's ``embedding`` or Cohere's ``embeddings`` (a list, or lists by type)."""
    attrs = identity(body)
    vector = get(body, "embedding")
    if not isinstance(vector, list):
        vectors = get(body, "embeddings")
        if isinstance(vectors, Mapping):  # Cohere with embedding_types: {"float": [...]}
            vectors = next(iter(vectors.values()), None)  # pyright: ignore[reportUnknownArgumentType, reportUnknownVariableType]
        vector = items(vectors)[0] if items(vectors) else None
    if isinstance(vector, list):
        attrs[G.EMBEDDINGS_DIMENSION_COUNT] = len(vector)  # pyright: ignore[reportUnknownArgumentType]
    attrs.update(usage(get(body, "inputTextTokenCount"), None))
    return attrs, []


def _dimensions(attrs: dict[str, Any], body: Mapping[str, Any]) -> None:
    value = count(body["dimensions"])
    if value is not None:
        attrs[G.EMBEDDINGS_DIMENSION_COUNT] = value


def _encoding(attrs: dict[str, Any], body: Mapping[str, Any]) -> None:
    kinds = body["embedding_types"]
    if isinstance(kinds, (list, tuple)) and kinds:
        attrs[G.REQUEST_ENCODING_FORMATS] = [str(k) for k in items(kinds)]


NOVA = Format("nova", CHAT, {"inferenceConfig": _nova_rules}, _nova_content, _nova_response)
TITAN_TEXT = Format(
    "titan", TEXT_COMPLETION, {"textGenerationConfig": _titan_rules}, prompt("inputText"),
    _titan_response,
)  # fmt: skip
TITAN_EMBED = Format(
    "titan-embed", EMBEDDINGS, {"dimensions": _dimensions}, none, _embedding_response
)

# -- Meta Llama, Mistral, AI21 ---------------------------------------------------------------


def _llama_response(body: Any) -> Response:
    reason = get(body, "stop_reason")
    attrs = reasons(reason)
    attrs.update(usage(get(body, "prompt_token_count"), get(body, "generation_token_count")))
    return attrs, [output(get(body, "generation"), reason)]


def _mistral_response(body: Any) -> Response:
    outputs = items(get(body, "outputs"))
    said = [get(o, "stop_reason") for o in outputs]
    return reasons(*said), [output(get(o, "text"), get(o, "stop_reason")) for o in outputs]


def _chat_content(body: Mapping[str, Any]) -> Content:
    return {
        G.INPUT_MESSAGES: chat_input_messages(body.get("messages")),
        G.TOOL_DEFINITIONS: chat_tool_definitions(body.get("tools")),
    }


def _chat_response(body: Any) -> Response:
    """The Chat Completions shape (Mistral's chat models say ``stop_reason``)."""
    choices: list[dict[str, Any]] = []
    for value in items(get(body, "choices")):
        if isinstance(value, dict):
            choice = cast("dict[str, Any]", value)
            reason = choice.get("finish_reason") or choice.get("stop_reason")
            choices.append({**choice, "finish_reason": reason})
    normalized: Any = {**cast("dict[str, Any]", body), "choices": choices}
    attrs = chat_response_attributes(normalized)
    outputs = chat_output_messages(choices)
    for message in outputs:
        message["finish_reason"] = finish_reason(message["finish_reason"])
    return attrs, outputs


def _ai21_response(body: Any) -> Response:
    completions = items(get(body, "completions"))
    said = [get(get(c, "finishReason"), "reason") for c in completions]
    outputs = [
        output(get(get(c, "data"), "text"), r) for c, r in zip(completions, said, strict=True)
    ]
    return {**identity(body), **reasons(*said)}, outputs


LLAMA = Format(
    "llama", TEXT_COMPLETION, rules(("max_gen_len", G.REQUEST_MAX_TOKENS, int), TEMPERATURE,
    TOP_P), prompt("prompt"), _llama_response,
)  # fmt: skip
_MISTRAL_RULES = rules(MAX_TOKENS, TEMPERATURE, TOP_P, TOP_K, ("stop", "", None))
MISTRAL = Format("mistral", TEXT_COMPLETION, _MISTRAL_RULES, prompt("prompt"), _mistral_response)
CHAT_COMPLETIONS = Format("chat", CHAT, _MISTRAL_RULES, _chat_content, _chat_response)
AI21 = Format(
    "ai21", TEXT_COMPLETION, rules(("maxTokens", G.REQUEST_MAX_TOKENS, int), TEMPERATURE,
    ("topP", G.REQUEST_TOP_P, float), ("stopSequences", "", None)), prompt("prompt"),
    _ai21_response,
)  # fmt: skip

# -- Cohere: command-r (chat), command (text), embed -----------------------------------------

_COHERE_ROLES = {"USER": "user", "CHATBOT": "assistant", "SYSTEM": "system", "TOOL": "tool"}


def _cohere_content(body: Mapping[str, Any]) -> Content:
    messages = [
        parts.chat_message(
            _COHERE_ROLES.get(str(get(turn, "role")), "user"),
            [parts.text(str(get(turn, "message") or ""))],
        )
        for turn in items(body.get("chat_history"))
    ]
    results = [
        parts.tool_call_response(get(get(r, "call"), "name"), get(r, "outputs"))
        for r in items(body.get("tool_results"))
    ]
    if results:
        messages.append(parts.chat_message("tool", results))  # pyright: ignore[reportArgumentType]
    message = body.get("message")
    if isinstance(message, str) and message:
        messages.append(parts.chat_message("user", [parts.text(message)]))
    preamble = body.get("preamble")
    tools = [
        parts.tool_definition(
            str(get(t, "name") or ""), get(t, "description"), get(t, "parameter_definitions")
        )
        for t in items(body.get("tools"))
    ]
    return {
        G.SYSTEM_INSTRUCTIONS: [parts.text(preamble)] if isinstance(preamble, str) else None,
        G.INPUT_MESSAGES: messages,
        G.TOOL_DEFINITIONS: tools,
    }


def _cohere_usage(body: Any) -> dict[str, Any]:
    meta = get(body, "meta")
    units = get(meta, "billed_units") or get(meta, "tokens")
    return usage(get(units, "input_tokens"), get(units, "output_tokens"))


def _cohere_response(body: Any) -> Response:
    reason = get(body, "finish_reason")
    attrs = {**identity(body, "response_id"), **reasons(reason), **_cohere_usage(body)}
    content: list[parts.Part] = []
    text = get(body, "text")
    if isinstance(text, str) and text:
        content.append(parts.text(text))
    for call in items(get(body, "tool_calls")):
        content.append(parts.tool_call(None, str(get(call, "name") or ""), get(call, "parameters")))
    mapped = "tool_call" if len(content) > (1 if text else 0) else finish_reason(reason)
    return attrs, [parts.output_message("assistant", content, mapped)]


def _cohere_text_response(body: Any) -> Response:
    generations = items(get(body, "generations"))
    said = [get(g, "finish_reason") for g in generations]
    outputs = [output(get(g, "text"), r) for g, r in zip(generations, said, strict=True)]
    return {**identity(body), **reasons(*said), **_cohere_usage(body)}, outputs


_COHERE_RULES = rules(
    MAX_TOKENS,
    TEMPERATURE,
    ("p", G.REQUEST_TOP_P, float),
    ("k", G.REQUEST_TOP_K, float),
    STOP_SEQUENCES,
    ("seed", G.REQUEST_SEED, int),
    ("frequency_penalty", G.REQUEST_FREQUENCY_PENALTY, float),
    ("presence_penalty", G.REQUEST_PRESENCE_PENALTY, float),
    ("num_generations", G.REQUEST_CHOICE_COUNT, int),
)
COHERE = Format("cohere", CHAT, _COHERE_RULES, _cohere_content, _cohere_response)
COHERE_TEXT = Format(
    "cohere-text", TEXT_COMPLETION, _COHERE_RULES, prompt("prompt"), _cohere_text_response
)
COHERE_EMBED = Format(
    "cohere-embed", EMBEDDINGS, {"embedding_types": _encoding}, none, _embedding_response
)
UNKNOWN_CHAT = Format("unknown", CHAT, _MISTRAL_RULES, _chat_content)
UNKNOWN_TEXT = Format("unknown", TEXT_COMPLETION, _MISTRAL_RULES, prompt("prompt"))

# -- which format a call speaks ----------------------------------------------------------------

_REGIONS = ("us", "eu", "apac", "us-gov", "global", "jp", "au", "ca")


def model_family(model_id: str) -> tuple[str, str]:
    """(vendor, model) of a model id: ``us.anthropic.claude-3`` -> ("anthropic",
    "claude-3"); an ARN by its last path segment (an imported model's has no vendor)."""
    name = model_id.rpartition("/")[2] if model_id.startswith("arn:") else model_id
    vendor, _, rest = name.partition(".")
    if vendor in _REGIONS and rest:
        vendor, _, rest = rest.partition(".")
    return vendor, rest


def format_for(model_id: Any, body: Mapping[str, Any]) -> Format:
    """The format of an ``invoke_model`` call (the model id first, the body's keys where
    a family has two shapes or the id says nothing)."""
    vendor, model = model_family(str(model_id or ""))
    chat = "messages" in body
    if vendor == "anthropic":
        return ANTHROPIC if chat else ANTHROPIC_TEXT
    if vendor == "amazon":  # image and video generators (nova-canvas, titan-image): unknown
        if model.startswith("titan-embed"):
            return TITAN_EMBED
        if chat:
            return NOVA
        return TITAN_TEXT if "inputText" in body else UNKNOWN_TEXT
    if vendor == "meta":
        return LLAMA
    if vendor == "mistral":
        return CHAT_COMPLETIONS if chat else MISTRAL
    if vendor == "cohere":
        if model.startswith("embed"):
            return COHERE_EMBED
        return COHERE if "message" in body else COHERE_TEXT
    if vendor == "ai21":
        return CHAT_COMPLETIONS if chat else AI21
    return UNKNOWN_CHAT if chat else UNKNOWN_TEXT


def request_attributes(fmt: Format, body: Mapping[str, Any]) -> dict[str, Any]:
    """The request parameters of ``body`` in ``fmt``."""
    attrs: dict[str, Any] = {}
    apply_rules(attrs, body, fmt.rules)
    return attrs
