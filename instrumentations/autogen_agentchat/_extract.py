"""AutoGen 0.7's objects as GenAI attributes: pure functions, no span, no patching.

A model client speaks AutoGen's own message types (``SystemMessage``, ``UserMessage``,
``AssistantMessage`` with ``FunctionCall`` lists, ``FunctionExecutionResultMessage``) and
answers with a ``CreateResult``; agents and teams speak AgentChat's messages
(``TextMessage``, ``ToolCallSummaryMessage``..., each with a ``source`` and
``to_text()``) and end with a ``Response`` or a ``TaskResult``. Everything is read by
duck typing (``type`` fields, attribute names), so plain objects test it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from spanwise.model._chat_format import tool_call_part
from spanwise.semconv import GenAIAttributes as G
from spanwise.semconv import ProviderName, parts

from .._chat_completions import chat_request_attributes
from .._extract import get, items

__all__ = [
    "agent_input_messages",
    "agent_output_messages",
    "client_model",
    "client_provider",
    "llm_input_messages",
    "model_request_attributes",
    "result_attributes",
    "result_output_messages",
    "task_text",
    "team_outputs",
    "tool_definitions",
]

# Client class -> gen_ai.provider.name; the OpenAI family is named from its base URL.
_PROVIDERS = {
    "AzureOpenAIChatCompletionClient": ProviderName.AZURE_AI_OPENAI,
    "AnthropicChatCompletionClient": ProviderName.ANTHROPIC,
    "AnthropicBedrockChatCompletionClient": ProviderName.AWS_BEDROCK,
    "AzureAIChatCompletionClient": ProviderName.AZURE_AI_INFERENCE,
    "OllamaChatCompletionClient": "ollama",
    "LlamaCppChatCompletionClient": "llama_cpp",
}
# A client that is no provider's (ReplayChatCompletionClient, a custom one): AutoGen's.
AUTOGEN_PROVIDER = "autogen"
# CreateResult.finish_reason -> the conventions' finish reasons.
_FINISH = {"function_calls": "tool_calls", "unknown": "error"}


# -- model clients ----------------------------------------------------------------------------


def client_provider(class_names: list[str]) -> str | None:
    """The provider of a model client from its class and bases' names; None for the
    OpenAI family (the caller names it from the base URL)."""
    for name in class_names:
        known = _PROVIDERS.get(name)
        if known is not None:
            return known
    return None if "BaseOpenAIChatCompletionClient" in class_names else AUTOGEN_PROVIDER


def client_model(create_args: Any, model_name: Any, model_info: Any) -> str:
    """The model a client calls: its create arguments' ``model``, else its own name, else
    the model family it declares."""
    model = get(create_args, "model") or model_name or get(model_info, "family")
    return str(model or "unknown")


def model_request_attributes(
    model: str, create_args: Any, extra_create_args: Any, json_output: Any
) -> dict[str, Any]:
    """Request parameters: the client's create arguments overlaid by the call's."""
    merged: dict[str, Any] = {}
    for source in (create_args, extra_create_args):
        if isinstance(source, Mapping):
            merged.update({str(k): v for k, v in source.items()})  # type: ignore[misc]
    merged["model"] = model
    attrs = chat_request_attributes(merged)
    if json_output is not None and json_output is not False:
        attrs[G.OUTPUT_TYPE] = "json"
    return attrs


def _user_parts(content: Any) -> list[parts.Part]:
    if isinstance(content, str):
        return [parts.text(content)]
    out: list[parts.Part] = []
    for item in items(content):
        if isinstance(item, str):
            out.append(parts.text(item))
            continue
        to_base64 = getattr(item, "to_base64", None)  # autogen_core.Image
        if callable(to_base64):
            out.append(parts.blob("image", str(to_base64()), "image/png"))
        else:
            out.append(parts.generic(type(item).__name__))
    return out


def _assistant_parts(content: Any, thought: Any) -> list[parts.Part]:
    out: list[parts.Part] = [parts.reasoning(str(thought))] if thought else []
    if isinstance(content, str):
        out.append(parts.text(content))
        return out
    for call in items(content):  # FunctionCall(id, arguments, name)
        out.append(
            tool_call_part(get(call, "id"), str(get(call, "name", "")), get(call, "arguments"))
        )
    return out


def llm_input_messages(messages: Any) -> list[parts.ChatMessage]:
    """A model call's ``LLMMessage`` list in the parts format (system messages included,
    as the Chat Completions conversion does)."""
    out: list[parts.ChatMessage] = []
    for message in items(messages):
        kind = get(message, "type")
        content = get(message, "content")
        source = get(message, "source")
        name = str(source) if source else None
        if kind == "SystemMessage":
            out.append(parts.chat_message("system", [parts.text(str(content))]))
        elif kind == "AssistantMessage":
            chat_parts = _assistant_parts(content, get(message, "thought"))
            out.append(parts.chat_message("assistant", chat_parts, name))
        elif kind == "FunctionExecutionResultMessage":
            responses: list[parts.Part] = [
                parts.tool_call_response(get(r, "call_id"), get(r, "content"))
                for r in items(content)
            ]
            out.append(parts.chat_message("tool", responses))
        else:  # UserMessage, and any message AutoGen adds later: the user's turn
            out.append(parts.chat_message("user", _user_parts(content), name))
    return out


def tool_definitions(tools: Any) -> list[dict[str, Any]]:
    """``Tool`` objects (their ``schema``) or ``ToolSchema`` dicts as definitions."""
    out: list[dict[str, Any]] = []
    for tool in items(tools):
        schema: Any = get(tool, "schema", tool)  # a ToolSchema dict is its own schema
        out.append(
            parts.tool_definition(
                str(get(schema, "name", "")),
                get(schema, "description"),
                get(schema, "parameters"),
            )
        )
    return out


def _finish_reason(result: Any) -> str:
    reason = str(get(result, "finish_reason") or "unknown")
    return _FINISH.get(reason, reason)


def result_attributes(result: Any) -> dict[str, Any]:
    """A ``CreateResult``'s metadata: finish reason and token usage."""
    attrs: dict[str, Any] = {G.RESPONSE_FINISH_REASONS: [_finish_reason(result)]}
    usage = get(result, "usage")
    for key, name in (
        ("prompt_tokens", G.USAGE_INPUT_TOKENS),
        ("completion_tokens", G.USAGE_OUTPUT_TOKENS),
    ):
        value = get(usage, key)
        if isinstance(value, int):
            attrs[name] = value
    return attrs


def result_output_messages(result: Any) -> list[parts.OutputMessage]:
    """A ``CreateResult`` as the one output message (text or tool calls, and the thought)."""
    content = _assistant_parts(get(result, "content"), get(result, "thought"))
    return [parts.output_message("assistant", content, _finish_reason(result))]


# -- agents and teams ------------------------------------------------------------------------


def _text(message: Any) -> str:
    to_text = getattr(message, "to_text", None)
    if callable(to_text):
        return str(to_text())
    return str(get(message, "content", ""))


def _chat_messages(messages: Any) -> list[Any]:
    if messages is None:
        return []
    if isinstance(messages, (str, list, tuple)):
        return [messages] if isinstance(messages, str) else items(messages)
    return [messages]  # one message


def agent_input_messages(messages: Any) -> list[parts.ChatMessage]:
    """An agent's new messages (or a run's task: a string, a message or a list) in the
    parts format: the user's as ``user``, other agents' as ``assistant`` named by source."""
    out: list[parts.ChatMessage] = []
    for message in _chat_messages(messages):
        if isinstance(message, str):
            out.append(parts.chat_message("user", [parts.text(message)]))
            continue
        source = str(get(message, "source") or "user")
        role = "user" if source == "user" else "assistant"
        out.append(parts.chat_message(role, [parts.text(_text(message))], source))
    return out


def _final_message(outcome: Any) -> Any:
    """The chat message an agent answered with: a ``Response``'s, or a ``TaskResult``'s
    last; None for anything else (an event in a stream)."""
    message = get(outcome, "chat_message")
    if message is not None:
        return message
    if get(outcome, "stop_reason", "absent") != "absent" or hasattr(outcome, "messages"):
        messages = items(get(outcome, "messages"))
        return messages[-1] if messages else None
    return None


def agent_output_messages(outcome: Any) -> list[parts.OutputMessage] | None:
    """What an agent answered (a ``Response`` or ``TaskResult``) as the output message;
    None when ``outcome`` is neither."""
    message = _final_message(outcome)
    if message is None:
        return None
    return [parts.output_message("assistant", [parts.text(_text(message))], "stop")]


def task_text(task: Any) -> list[str]:
    """A team's task as texts."""
    return [m if isinstance(m, str) else _text(m) for m in _chat_messages(task)]


def team_outputs(result: Any) -> dict[str, Any] | None:
    """A ``TaskResult``'s stop reason and last message; None for anything else."""
    if not hasattr(result, "stop_reason"):
        return None
    message = _final_message(result)
    return {
        "stop_reason": get(result, "stop_reason"),
        "messages": len(items(get(result, "messages"))),
        "last_message": None if message is None else _text(message),
    }
