"""Pure extraction: LlamaIndex objects -> GenAI attributes and message parts. No span.

Duck-typed over LlamaIndex's pydantic objects (``ChatMessage`` and its blocks,
``ChatResponse``, ``CompletionResponse``, ``NodeWithScore``, ``ToolOutput``) and the
provider's raw response under them (an OpenAI ``ChatCompletion``, an Anthropic
``Message``, a dict), so that it is testable with plain objects.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from spanwise.common._access import get, items, tool_call_arguments
from spanwise.semconv import GenAIAttributes as G
from spanwise.semconv import ProviderName, parts

__all__ = [
    "input_messages",
    "model_name",
    "output_message",
    "output_of",
    "provider_attributes",
    "request_attributes",
    "response_attributes",
    "retrieved",
    "split_span_id",
    "text_of",
    "tool_definitions",
]

# LlamaIndex integration packages (``llama_index.llms.<name>``) -> gen_ai.provider.name.
_PROVIDERS = {
    "openai": ProviderName.OPENAI,
    "azure_openai": ProviderName.AZURE_AI_OPENAI,
    "anthropic": ProviderName.ANTHROPIC,
    "bedrock": ProviderName.AWS_BEDROCK,
    "bedrock_converse": ProviderName.AWS_BEDROCK,
    "gemini": ProviderName.GCP_GEMINI,
    "google_genai": ProviderName.GCP_GEN_AI,
    "vertex": ProviderName.GCP_VERTEX_AI,
    "mistralai": ProviderName.MISTRAL_AI,
    "groq": ProviderName.GROQ,
    "cohere": ProviderName.COHERE,
    "deepseek": ProviderName.DEEPSEEK,
    "perplexity": ProviderName.PERPLEXITY,
    "watsonx": ProviderName.IBM_WATSONX_AI,
}
# Integrations that talk to an OpenAI-compatible endpoint named by ``api_base``.
_OPENAI_PROTOCOL = frozenset({"openai", "openai_like"})
# A model LlamaIndex itself stands in for (MockLLM, a user's CustomLLM): no provider known.
_NO_PROVIDER = "llama_index"

# Request parameters LlamaIndex LLM classes keep as fields, and in additional_kwargs.
_NUMBER_PARAMS = {
    "temperature": (G.REQUEST_TEMPERATURE, float),
    "top_p": (G.REQUEST_TOP_P, float),
    "top_k": (G.REQUEST_TOP_K, float),
    "frequency_penalty": (G.REQUEST_FREQUENCY_PENALTY, float),
    "presence_penalty": (G.REQUEST_PRESENCE_PENALTY, float),
    "max_tokens": (G.REQUEST_MAX_TOKENS, int),
    "max_completion_tokens": (G.REQUEST_MAX_TOKENS, int),
    "seed": (G.REQUEST_SEED, int),
    "n": (G.REQUEST_CHOICE_COUNT, int),
}


def split_span_id(span_id: str) -> tuple[str, str]:
    """``"Class.method-<uuid>"`` -> ``("Class", "method")`` (a free function: its qualname)."""
    head = span_id.partition("-")[0]
    owner, _, method = head.rpartition(".")
    return owner, method


def model_name(instance: Any) -> str:
    """The model an LLM or embedding instance calls."""
    for field in ("model", "model_name", "deployment_name"):
        value = getattr(instance, field, None)
        if isinstance(value, str) and value:
            return value
    metadata = getattr(instance, "metadata", None)  # an LLM's; a property that may compute
    value = getattr(metadata, "model_name", None)
    return value if isinstance(value, str) and value else "unknown"


def _integration(instance: Any) -> str:
    """``llama_index.llms.openai.base`` -> ``openai`` ("" outside the integrations)."""
    module = type(instance).__module__.split(".")
    if len(module) > 2 and module[0] == "llama_index" and module[1] in ("llms", "embeddings"):
        return module[2]
    return ""


def provider_attributes(instance: Any) -> dict[str, Any]:
    """``gen_ai.provider.name`` (and ``server.*`` for OpenAI-protocol endpoints)."""
    integration = _integration(instance)
    if integration in _OPENAI_PROTOCOL:
        base = getattr(instance, "api_base", None)
        if isinstance(base, str) and base:
            # The OpenAI SDK's own naming rule: the host decides (azure, deepseek, a local
            # OpenAI-compatible server named by server.address).
            from spanwise.instrumentations.openai._extract import (
                provider_attributes as openai_provider,
            )

            return dict(openai_provider(base))
    name = _PROVIDERS.get(integration) or integration or _NO_PROVIDER
    return {G.PROVIDER_NAME: name}


def request_attributes(instance: Any, call_kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """``gen_ai.request.*`` from the instance's fields, its ``additional_kwargs`` and the
    call's keyword arguments (the later wins)."""
    attrs: dict[str, Any] = {}
    sources: list[Mapping[str, Any]] = []
    fields = getattr(instance, "__dict__", None)
    if isinstance(fields, Mapping):
        sources.append(fields)  # pyright: ignore[reportUnknownArgumentType]
    extra = getattr(instance, "additional_kwargs", None)
    if isinstance(extra, Mapping):
        sources.append(extra)  # pyright: ignore[reportUnknownArgumentType]
    sources.append(call_kwargs)
    for source in sources:
        for key, (name, kind) in _NUMBER_PARAMS.items():
            value = source.get(key)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                attrs[name] = kind(value)
        stop = source.get("stop")
        if isinstance(stop, str):
            attrs[G.REQUEST_STOP_SEQUENCES] = [stop]
        elif isinstance(stop, (list, tuple)) and stop:
            attrs[G.REQUEST_STOP_SEQUENCES] = [str(s) for s in items(stop)]
    return attrs


# -- messages -------------------------------------------------------------------------------


def _role(message: Any) -> str:
    role = get(message, "role", "user")
    return str(getattr(role, "value", role))


def _block_parts(message: Any) -> list[parts.Part]:
    out: list[parts.Part] = []
    blocks = get(message, "blocks")
    if blocks is None:  # not a LlamaIndex message: its content as text
        content = get(message, "content")
        return [parts.text(str(content))] if content is not None else []
    for block in items(blocks):
        kind = get(block, "block_type")
        if kind == "text":
            out.append(parts.text(str(get(block, "text", ""))))
        elif kind == "thinking":
            out.append(parts.reasoning(str(get(block, "content", ""))))
        elif kind == "tool_call":
            out.append(
                parts.tool_call(
                    get(block, "tool_call_id"),
                    str(get(block, "tool_name", "")),
                    tool_call_arguments(get(block, "tool_kwargs")),
                )
            )
        elif kind in ("image", "audio", "video", "document"):
            url = get(block, "url")
            modality = "file" if kind == "document" else str(kind)
            if url:
                out.append(parts.uri(modality, str(url), get(block, "image_mimetype")))
            else:  # inline bytes: named, not copied into the span
                out.append(parts.generic(modality))
        elif kind is not None and kind != "cache":
            out.append(parts.generic(str(kind)))
    return out


def _tool_calls(message: Any) -> list[parts.Part]:
    """Tool calls an integration keeps in ``additional_kwargs`` (OpenAI's objects)."""
    extra: Any = get(message, "additional_kwargs")
    out: list[parts.Part] = []
    for call in items(get(extra, "tool_calls")):
        function = get(call, "function")
        out.append(
            parts.tool_call(
                get(call, "id"),
                str(get(function, "name", "")),
                tool_call_arguments(get(function, "arguments")),
            )
        )
    return out


def _message_parts(message: Any) -> list[parts.Part]:
    found = _block_parts(message)
    if not any(p["type"] == "tool_call" for p in found):
        found += _tool_calls(message)
    return found


def input_messages(messages: Any) -> list[parts.ChatMessage]:
    """A chat's messages in the parts format (``tool`` messages as tool_call_response)."""
    out: list[parts.ChatMessage] = []
    for message in items(messages):
        role = _role(message)
        if role == "tool":
            extra: Any = get(message, "additional_kwargs")
            found: list[parts.Part] = [
                parts.tool_call_response(get(extra, "tool_call_id"), text_of(message))
            ]
        else:
            found = _message_parts(message)
        out.append(parts.chat_message(role, found))
    return out


def text_of(message: Any) -> str:
    """The text content of a message (its text blocks joined)."""
    blocks = get(message, "blocks")
    if blocks is None:
        content = get(message, "content")
        return "" if content is None else str(content)
    return "".join(str(get(b, "text", "")) for b in items(blocks) if get(b, "block_type") == "text")


def tool_definitions(call_kwargs: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The tools a call offers: LlamaIndex tools, or the provider's function schemas
    (OpenAI's, which most integrations pass on)."""
    out: list[dict[str, Any]] = []
    for tool in items(call_kwargs.get("tools")):
        metadata = get(tool, "metadata")
        if metadata is not None and hasattr(metadata, "get_parameters_dict"):  # a BaseTool
            out.append(
                parts.tool_definition(
                    str(get(metadata, "name", "")),
                    get(metadata, "description"),
                    metadata.get_parameters_dict(),
                )
            )
            continue
        function = get(tool, "function") or tool
        out.append(
            parts.tool_definition(
                str(get(function, "name", "")),
                get(function, "description"),
                get(function, "parameters"),
            )
        )
    return out


# -- responses -------------------------------------------------------------------------------


def _finish_reason(raw: Any) -> str | None:
    choices = items(get(raw, "choices"))
    if choices:
        reason = get(choices[0], "finish_reason")
        if reason:
            return str(reason)
    for key in ("stop_reason", "finish_reason", "done_reason"):
        reason = get(raw, key)
        if reason:
            return str(reason)
    return None


def output_message(response: Any) -> parts.OutputMessage:
    """A ChatResponse (its message) or CompletionResponse (its text) as one output message."""
    message = get(response, "message")
    found: list[parts.Part] = (
        _message_parts(message)
        if message is not None
        else [parts.text(str(get(response, "text", "")))]
    )
    role = _role(message) if message is not None else "assistant"
    reason = _finish_reason(get(response, "raw"))
    if reason is None:
        reason = "tool_call" if any(p["type"] == "tool_call" for p in found) else "stop"
    return parts.output_message(role, found, reason)


def _usage(raw: Any, extra: Any) -> dict[str, Any]:
    attrs: dict[str, Any] = {}
    usage: Any = get(raw, "usage") or get(raw, "usage_metadata")
    for key, name in (
        ("prompt_tokens", G.USAGE_INPUT_TOKENS),
        ("input_tokens", G.USAGE_INPUT_TOKENS),
        ("completion_tokens", G.USAGE_OUTPUT_TOKENS),
        ("output_tokens", G.USAGE_OUTPUT_TOKENS),
    ):
        for source in (usage, extra):
            value = get(source, key)
            if isinstance(value, int) and not isinstance(value, bool):
                attrs.setdefault(name, value)
    cached = get(get(usage, "prompt_tokens_details"), "cached_tokens")
    if isinstance(cached, int) and cached:
        attrs[G.USAGE_CACHE_READ_INPUT_TOKENS] = cached
    return attrs


def response_attributes(response: Any) -> dict[str, Any]:
    """``gen_ai.response.*`` and ``gen_ai.usage.*`` of a chat or completion response."""
    raw = get(response, "raw")
    attrs = _usage(raw, get(response, "additional_kwargs"))
    response_id = get(raw, "id")
    if isinstance(response_id, str) and response_id:
        attrs[G.RESPONSE_ID] = response_id
    model = get(raw, "model")
    if isinstance(model, str) and model:
        attrs[G.RESPONSE_MODEL] = model
    reason = _finish_reason(raw)
    if reason is not None:
        attrs[G.RESPONSE_FINISH_REASONS] = [reason]
    return attrs


def retrieved(nodes: Any) -> list[tuple[Any, float | None, str | None]]:
    """``NodeWithScore`` list -> ``(id, score, text)`` triples for ``retrieval_documents``."""
    out: list[tuple[Any, float | None, str | None]] = []
    for scored in items(nodes):
        node = get(scored, "node", scored)
        score = get(scored, "score")
        text = get(node, "text")
        out.append(
            (
                get(node, "node_id") or get(node, "id_"),
                float(score) if isinstance(score, (int, float)) else None,
                text if isinstance(text, str) else None,
            )
        )
    return out


def output_of(result: Any) -> Any:
    """What a chain, agent or workflow returned, as recorded (never consuming a stream)."""
    result = getattr(result, "result", result)  # a workflow's StopEvent
    response = getattr(result, "response", None)  # a query Response, an AgentOutput
    if isinstance(response, str):
        return response
    if response is not None and hasattr(response, "blocks"):
        return text_of(response)
    if isinstance(result, (str, int, float, bool, dict, list)):
        return cast(Any, result)
    dump = getattr(result, "model_dump", None)
    if callable(dump) and not hasattr(result, "response_gen"):
        return dump()
    return None
