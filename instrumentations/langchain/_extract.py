"""Pure extraction: LangChain callback arguments -> span names and attributes.

No span, no callback manager: what the callbacks receive (``serialized``, the messages,
``invocation_params``, ``metadata``, an ``LLMResult``, documents) in, attribute dicts
and GenAI parts out, so every rule is testable with plain objects.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from spanwise.common._access import get, items, tool_call_arguments
from spanwise.model._chat_format import content_parts, tool_call_part, tool_definitions
from spanwise.semconv import GenAIAttributes as G
from spanwise.semconv import ProviderName, parts

from .._chat_completions import usage_attributes
from .._extract import apply_rules, int_rule, number_rule, stop_rule
from .._framework import FrameworkAttributes as FA

__all__ = [
    "compact",
    "documents",
    "get",
    "input_messages",
    "model_request_attributes",
    "output_messages",
    "prompt_messages",
    "response_attributes",
    "run_attributes",
    "run_name",
    "tool_call_arguments",
    "tool_definitions",
]

# ls_provider (LangChain's own provider ids) -> gen_ai.provider.name.
_PROVIDERS = {
    "openai": ProviderName.OPENAI,
    "azure": ProviderName.AZURE_AI_OPENAI,
    "azure_openai": ProviderName.AZURE_AI_OPENAI,
    "azure_ai": ProviderName.AZURE_AI_INFERENCE,
    "anthropic": ProviderName.ANTHROPIC,
    "amazon_bedrock": ProviderName.AWS_BEDROCK,
    "bedrock": ProviderName.AWS_BEDROCK,
    "bedrock_converse": ProviderName.AWS_BEDROCK,
    "google_genai": ProviderName.GCP_GEMINI,
    "google_vertexai": ProviderName.GCP_VERTEX_AI,
    "google_anthropic_vertex": ProviderName.GCP_VERTEX_AI,
    "mistralai": ProviderName.MISTRAL_AI,
    "groq": ProviderName.GROQ,
    "cohere": ProviderName.COHERE,
    "deepseek": ProviderName.DEEPSEEK,
    "xai": ProviderName.X_AI,
    "perplexity": ProviderName.PERPLEXITY,
    "ibm": ProviderName.IBM_WATSONX_AI,
    "watsonx": ProviderName.IBM_WATSONX_AI,
    "databricks": ProviderName.DATABRICKS,
}
# Model classes that name no ls_provider (older integrations).
_CLASSES = {
    "ChatOpenAI": ProviderName.OPENAI,
    "OpenAI": ProviderName.OPENAI,
    "AzureChatOpenAI": ProviderName.AZURE_AI_OPENAI,
    "ChatAnthropic": ProviderName.ANTHROPIC,
    "ChatBedrock": ProviderName.AWS_BEDROCK,
    "ChatBedrockConverse": ProviderName.AWS_BEDROCK,
    "ChatGoogleGenerativeAI": ProviderName.GCP_GEMINI,
    "ChatVertexAI": ProviderName.GCP_VERTEX_AI,
    "ChatMistralAI": ProviderName.MISTRAL_AI,
    "ChatGroq": ProviderName.GROQ,
}
# LangChain's message types -> the conventions' roles.
_ROLES = {"human": "user", "ai": "assistant", "system": "system", "tool": "tool"}
# Tags LangChain and LangGraph add for their own bookkeeping.
_INTERNAL_TAG_PREFIXES = ("seq:step:", "graph:step:", "langsmith:", "map:key:")
_INTERNAL_METADATA_PREFIXES = ("ls_", "langgraph_", "checkpoint_", "__")


def _choice_count(attrs: dict[str, Any], params: Mapping[str, Any]) -> None:
    # The conventions ask for it only when not 1 (older ChatOpenAI always passes n=1).
    n = params["n"]
    if isinstance(n, int) and not isinstance(n, bool) and n != 1:
        attrs[G.REQUEST_CHOICE_COUNT] = n


_RULES = {
    "temperature": number_rule("temperature", G.REQUEST_TEMPERATURE, float),
    "ls_temperature": number_rule("ls_temperature", G.REQUEST_TEMPERATURE, float),
    "top_p": number_rule("top_p", G.REQUEST_TOP_P, float),
    "top_k": number_rule("top_k", G.REQUEST_TOP_K, float),
    "max_tokens": int_rule("max_tokens", G.REQUEST_MAX_TOKENS),
    "max_completion_tokens": int_rule("max_completion_tokens", G.REQUEST_MAX_TOKENS),
    "max_output_tokens": int_rule("max_output_tokens", G.REQUEST_MAX_TOKENS),
    "ls_max_tokens": int_rule("ls_max_tokens", G.REQUEST_MAX_TOKENS),
    "frequency_penalty": number_rule("frequency_penalty", G.REQUEST_FREQUENCY_PENALTY, float),
    "presence_penalty": number_rule("presence_penalty", G.REQUEST_PRESENCE_PENALTY, float),
    "seed": int_rule("seed", G.REQUEST_SEED),
    "n": _choice_count,
    "stop": stop_rule("stop"),
    "stop_sequences": stop_rule("stop_sequences"),
    "ls_stop": stop_rule("ls_stop"),
}


def run_name(serialized: Any, kwargs: Mapping[str, Any], default: str) -> str:
    """The run's name: the ``name`` LangChain passes (``run_name`` of the config, or the
    runnable's name), else the serialized class's."""
    name = kwargs.get("name")
    if isinstance(name, str) and name:
        return name
    name = get(serialized, "name")
    if isinstance(name, str) and name:
        return name
    ident = items(get(serialized, "id"))
    return str(ident[-1]) if ident else default


def run_attributes(run_id: Any, tags: Any, metadata: Any, *, root: bool) -> dict[str, Any]:
    """The run id, user tags, and (on a root run: children inherit them) user metadata
    of scalar values; LangChain's and LangGraph's own keys are left out."""
    attrs: dict[str, Any] = {FA.RUN_ID: str(run_id)}
    user_tags = [str(t) for t in items(tags) if not str(t).startswith(_INTERNAL_TAG_PREFIXES)]
    if user_tags:
        attrs[FA.RUN_TAGS] = user_tags
    if root and isinstance(metadata, Mapping):
        for key, value in cast("Mapping[str, Any]", metadata).items():
            if key.startswith(_INTERNAL_METADATA_PREFIXES) or key == "thread_id":
                continue
            if isinstance(value, (str, bool, int, float)):
                attrs[FA.RUN_METADATA_PREFIX + key] = value
    thread_id = get(metadata, "thread_id")
    if isinstance(thread_id, (str, int)) and not isinstance(thread_id, bool):
        attrs[G.CONVERSATION_ID] = str(thread_id)
    return attrs


def _provider(serialized: Any, metadata: Any) -> str:
    ls_provider = get(metadata, "ls_provider")
    if isinstance(ls_provider, str) and ls_provider:
        return _PROVIDERS.get(ls_provider, ls_provider)
    ident = items(get(serialized, "id"))
    if ident and str(ident[-1]) in _CLASSES:
        return _CLASSES[str(ident[-1])]
    return "langchain"


def model_request_attributes(
    serialized: Any, invocation_params: Any, metadata: Any
) -> tuple[str | None, dict[str, Any]]:
    """The request model and the request attributes (provider, parameters)."""
    params: Mapping[str, Any] = (
        cast("Mapping[str, Any]", invocation_params)
        if isinstance(invocation_params, Mapping)
        else {}
    )
    model = (
        get(metadata, "ls_model_name")
        or params.get("model")
        or params.get("model_name")
        or params.get("model_id")
    )
    attrs: dict[str, Any] = {G.PROVIDER_NAME: _provider(serialized, metadata)}
    ls_params = (
        {k: v for k, v in cast("Mapping[str, Any]", metadata).items() if k.startswith("ls_")}
        if isinstance(metadata, Mapping)
        else {}
    )
    apply_rules(attrs, {**ls_params, **params}, _RULES)
    if params.get("stream") is True:
        attrs[G.REQUEST_STREAM] = True
    return (str(model) if model else None), attrs


# -- messages --------------------------------------------------------------------------------


def _content(content: Any) -> list[parts.Part]:
    """LangChain message content: a string, OpenAI-style blocks, or its standard blocks
    (reasoning, tool calls carried in content are read from ``tool_calls`` instead)."""
    if not isinstance(content, list):
        return content_parts(content) if content != "" else []
    out: list[parts.Part] = []
    for block in cast("list[Any]", content):
        kind = get(block, "type")
        if kind in ("reasoning", "thinking"):
            text = get(block, "reasoning") or get(block, "thinking") or ""
            out.append(parts.reasoning(str(text)))
        elif kind in ("tool_use", "tool_call", "function_call"):
            continue  # the message's tool_calls carry them
        elif kind == "image" and get(block, "url"):
            out.append(parts.uri("image", str(get(block, "url"))))
        else:
            out += content_parts([block])
    return out


def _tool_calls(message: Any) -> list[parts.Part]:
    return [
        tool_call_part(get(call, "id"), str(get(call, "name", "")), get(call, "args"))
        for call in items(get(message, "tool_calls"))
    ]


def _message(message: Any) -> parts.ChatMessage:
    kind = str(get(message, "type", "human"))
    role = str(get(message, "role") or _ROLES.get(kind, kind))
    if kind == "tool":
        body: list[parts.Part] = [
            parts.tool_call_response(
                get(message, "tool_call_id"), tool_call_arguments(get(message, "content"))
            )
        ]
    else:
        body = _content(get(message, "content")) + _tool_calls(message)
    name = get(message, "name")
    return parts.chat_message(role, body, str(name) if name else None)


def input_messages(messages: Any) -> list[parts.ChatMessage]:
    """A chat model's input (``on_chat_model_start``: one list per prompt; the first)."""
    batch = items(messages)
    first = items(batch[0]) if batch and isinstance(batch[0], (list, tuple)) else batch
    return [_message(m) for m in first]


def prompt_messages(prompts: Any) -> list[parts.ChatMessage]:
    """A text LLM's prompts (``on_llm_start``) as user messages."""
    return [parts.chat_message("user", [parts.text(str(p))]) for p in items(prompts)]


_FINISH = {
    "tool_calls": "tool_call",
    "function_call": "tool_call",
    "tool_use": "tool_call",
    "end_turn": "stop",
    "stop_sequence": "stop",
    "STOP": "stop",
    "max_tokens": "length",
    "MAX_TOKENS": "length",
}


def _finish_reason(generation: Any) -> str | None:
    message = get(generation, "message")
    for source in (get(message, "response_metadata"), get(generation, "generation_info")):
        for key in ("finish_reason", "stop_reason", "done_reason"):
            value = get(source, key)
            if isinstance(value, str) and value:
                return value
    return None


def _generations(response: Any) -> list[Any]:
    batches = items(get(response, "generations"))
    return items(batches[0]) if batches else []


def output_messages(response: Any) -> list[parts.OutputMessage]:
    """The first prompt's generations as output messages."""
    out: list[parts.OutputMessage] = []
    for generation in _generations(response):
        message = get(generation, "message")
        body: list[parts.Part]
        if message is not None:
            body = _content(get(message, "content")) + _tool_calls(message)
        else:
            body = [parts.text(str(get(generation, "text", "")))]
        reason = _finish_reason(generation)
        if reason is None:  # a model that reports none (fakes, some integrations)
            reason = "tool_call" if get(message, "tool_calls") else "stop"
        out.append(parts.output_message("assistant", body, _FINISH.get(reason, reason)))
    return out


def _usage(generations: list[Any], llm_output: Any) -> dict[str, Any]:
    """LangChain's standard ``usage_metadata``; the provider's own counts in
    ``llm_output`` (text LLMs, older integrations) fill in what it lacks."""
    # The Chat Completions names (prompt_tokens, *_details.cached_tokens...), which most
    # integrations keep in llm_output["token_usage"].
    attrs = usage_attributes(get(llm_output, "token_usage") or get(llm_output, "usage"))
    usage = None
    for generation in generations:
        usage = get(get(generation, "message"), "usage_metadata") or usage
    if usage is None:
        return attrs
    for key, name in (
        ("input_tokens", G.USAGE_INPUT_TOKENS),
        ("output_tokens", G.USAGE_OUTPUT_TOKENS),
    ):
        if isinstance(get(usage, key), int):
            attrs[name] = get(usage, key)
    details = get(usage, "input_token_details")
    for key, name in (
        ("cache_read", G.USAGE_CACHE_READ_INPUT_TOKENS),
        ("cache_creation", G.USAGE_CACHE_CREATION_INPUT_TOKENS),
    ):
        if isinstance(get(details, key), int):
            attrs[name] = get(details, key)
    reasoning = get(get(usage, "output_token_details"), "reasoning")
    if isinstance(reasoning, int):
        attrs[G.USAGE_REASONING_OUTPUT_TOKENS] = reasoning
    return attrs


def response_attributes(response: Any) -> dict[str, Any]:
    """Response id, model, finish reasons and usage from an ``LLMResult``."""
    generations = _generations(response)
    llm_output = get(response, "llm_output")
    attrs: dict[str, Any] = {}
    first = get(generations[0], "message") if generations else None
    metadata = get(first, "response_metadata")
    response_id = get(metadata, "id") or get(llm_output, "id") or get(first, "id")
    # LangChain names a message it made itself "lc_run--<run id>" ("run-<run id>" before
    # 1.0): not the provider's id.
    if response_id and not str(response_id).startswith(("lc_", "run-")):
        attrs[G.RESPONSE_ID] = str(response_id)
    model = (
        get(metadata, "model_name")
        or get(metadata, "model")
        or get(llm_output, "model_name")
        or get(llm_output, "model")
    )
    if model:
        attrs[G.RESPONSE_MODEL] = str(model)
    reasons = [r for r in (_finish_reason(g) for g in generations) if r]
    if reasons:
        attrs[G.RESPONSE_FINISH_REASONS] = reasons
    attrs.update(_usage(generations, llm_output))
    return attrs


_MESSAGE_FIELDS = ("content", "tool_calls", "tool_call_id", "name", "id")


def compact(value: Any, depth: int = 6) -> Any:
    """A run's inputs or outputs with each LangChain message as a small dict (its type,
    content, tool calls...; not its whole pydantic dump with metadata): what a reader
    needs, and a fraction of the serializing (graph states repeat every message)."""
    if depth <= 0:
        return value
    kind = cast("type[Any]", type(value))
    if kind is dict:
        return {k: compact(v, depth - 1) for k, v in cast("dict[Any, Any]", value).items()}
    if kind is list or kind is tuple:
        return [compact(v, depth - 1) for v in cast("list[Any]", value)]
    message_type = getattr(value, "type", None)
    if isinstance(message_type, str) and hasattr(value, "content") and hasattr(value, "model_dump"):
        out: dict[str, Any] = {"type": message_type}
        for key in _MESSAGE_FIELDS:
            field_value = getattr(value, key, None)
            if field_value:
                out[key] = field_value
        return out
    if kind.__name__ == "Send" and hasattr(value, "node"):  # LangGraph's fan-out packet
        return {"send": str(getattr(value, "node", "")), "arg": compact(value.arg, depth - 1)}
    return value


def documents(result: Any) -> list[tuple[Any, float | None, str | None]]:
    """Retrieved documents as ``(id, score, text)`` (score from the metadata, if any)."""
    out: list[tuple[Any, float | None, str | None]] = []
    for index, document in enumerate(items(result)):
        metadata = get(document, "metadata")
        doc_id = get(document, "id") or get(metadata, "id") or get(metadata, "source") or index
        score = get(metadata, "score")
        if score is None:
            score = get(metadata, "relevance_score")
        number = float(score) if isinstance(score, (int, float)) else None
        out.append((doc_id, number, str(get(document, "page_content", ""))))
    return out
