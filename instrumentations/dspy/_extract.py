"""DSPy's calls as GenAI attributes: pure functions of what the callbacks receive.

DSPy's ``LM`` names its model the LiteLLM way (``"openai/gpt-4o-mini"``) and speaks the
Chat Completions format (``messages`` in, OpenAI-shaped responses out), so model calls
reuse the core's Chat Completions extraction; a module's, adapter's or tool's inputs and
outputs are DSPy objects (``Prediction``, ``Example``, signatures) made plain here.
No span, no patching.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from spanwise.model._chat_format import (
    content_parts,
    input_messages,
    output_messages,
    tool_call_part,
)
from spanwise.semconv import GenAIAttributes as G
from spanwise.semconv import ProviderName, parts

from .._chat_completions import (
    chat_request_attributes,
    chat_response_attributes,
    usage_attributes,
)
from .._extract import get, items
from .._provider_names import provider_name

__all__ = [
    "call_inputs",
    "lm_request_attributes",
    "lm_request_content",
    "lm_response_attributes",
    "lm_response_content",
    "plain",
    "split_model",
]

# An LM that is not LiteLLM-backed (a custom BaseLM, DummyLM): the provider is DSPy's.
DSPY_PROVIDER = "dspy"


def split_model(model: object, litellm_backed: bool) -> tuple[str, str]:
    """``(provider, model)`` from a DSPy model name: LiteLLM's ``provider/model``; a
    bare name on a LiteLLM-backed LM is OpenAI's, as LiteLLM defaults it."""
    name = str(model or "")
    prefix, slash, rest = name.partition("/")
    if slash and rest:
        return provider_name(prefix), rest
    return (ProviderName.OPENAI if litellm_backed else DSPY_PROVIDER), name


def plain(value: Any) -> Any:
    """DSPy's containers as plain data: a ``Prediction``/``Example`` as its fields, a
    signature as its string form; everything else as it is."""
    to_dict = getattr(value, "toDict", None)
    if callable(to_dict):
        try:
            return to_dict()
        except Exception:
            return repr(value)
    signature = getattr(value, "signature", None)
    if isinstance(value, type) and signature is not None:  # a Signature class
        return str(signature)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}  # type: ignore[misc]
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]  # type: ignore[misc]
    return value


def call_inputs(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """A callback's bound arguments as the call's inputs: ``Module.__call__(*args,
    **kwargs)`` arrives as ``{"args": (), "kwargs": {...}}``, shown as the kwargs."""
    args = inputs.get("args")
    kwargs = inputs.get("kwargs")
    if set(inputs) <= {"args", "kwargs"} and isinstance(kwargs, Mapping):
        out: dict[str, Any] = {str(k): plain(v) for k, v in kwargs.items()}  # type: ignore[misc]
        if args:
            out["args"] = plain(args)
        return out
    return {str(k): plain(v) for k, v in inputs.items()}


def lm_request_attributes(
    model: str, lm_kwargs: Mapping[str, Any], call_kwargs: Mapping[str, Any]
) -> dict[str, Any]:
    """A model call's request metadata: the LM's defaults overlaid by the call's."""
    merged = {**lm_kwargs, **call_kwargs, "model": model}
    return chat_request_attributes(merged)


def lm_request_content(inputs: Mapping[str, Any]) -> dict[str, Any]:
    messages = inputs.get("messages")
    if messages is None and inputs.get("prompt") is not None:
        messages = [{"role": "user", "content": str(inputs["prompt"])}]
    return {G.INPUT_MESSAGES: input_messages(messages)}


def lm_response_attributes(response: Any, usage: Any = None) -> dict[str, Any]:
    """The provider's response metadata; DSPy's own usage record where the response
    carries none (a cache hit, an LM that is not LiteLLM-backed)."""
    attrs = chat_response_attributes(response) if response is not None else {}
    reason = get(response, "finish_reason")  # DSPy 3.4's own response type: one choice
    if G.RESPONSE_FINISH_REASONS not in attrs and reason:
        attrs[G.RESPONSE_FINISH_REASONS] = [str(reason)]
    if G.USAGE_INPUT_TOKENS not in attrs and usage:
        attrs.update(usage_attributes(usage))
    return attrs


def lm_response_content(response: Any, outputs: Any) -> dict[str, Any]:
    """Output messages from the provider's response, or from DSPy's outputs (strings, or
    ``{"text", "tool_calls"}`` dicts) when there is no response."""
    choices = get(response, "choices") if response is not None else None
    if choices:
        return {G.OUTPUT_MESSAGES: output_messages(choices)}
    reason = str(get(response, "finish_reason") or "stop")
    messages: list[parts.OutputMessage] = []
    for output in items(outputs):
        if isinstance(output, Mapping):
            content: list[parts.Part] = content_parts(get(output, "text"))
            for call in items(get(output, "tool_calls")):
                function = get(call, "function")
                name = str(get(function, "name") or "")
                content.append(tool_call_part(get(call, "id"), name, get(function, "arguments")))
        else:
            content = [parts.text(str(output))]
        messages.append(parts.output_message("assistant", content, reason))
    return {G.OUTPUT_MESSAGES: messages}
