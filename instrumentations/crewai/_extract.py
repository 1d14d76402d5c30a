"""CrewAI's objects as GenAI attributes: pure functions of crews, agents, tasks, tools and
the arguments of CrewAI's model-call events.

Crews, agents, tasks and tools are read by attribute (``name``, ``role``, ``goal``,
``description``...), so plain objects stand in for them in tests. A model call is read
from what CrewAI's ``BaseLLM`` hands its own ``LLMCallStarted``/``Completed`` events: the
messages (Chat Completions format, whatever the provider), the tool schemas (OpenAI's
format), the effective parameters, and the outcome (text, tool calls, usage, finish
reason, response id). No span, no patching.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any, cast

from spanwise.common._access import get, items
from spanwise.common._json import dumps
from spanwise.model._chat_format import (
    input_messages,
    tool_call_part,
    tool_definitions,
)
from spanwise.semconv import GenAIAttributes as G
from spanwise.semconv import parts

from .._chat_completions import chat_request_attributes, usage_attributes
from .._provider_names import provider_name
from .._stainless import server_attributes

__all__ = [
    "STARTED_PARAMETERS",
    "agent_identity",
    "agent_inputs",
    "crew_name",
    "flow_name",
    "in_event_loop",
    "internal_flow",
    "llm_request",
    "llm_request_content",
    "llm_response_attributes",
    "llm_response_content",
    "llm_usage_attributes",
    "method_output",
    "named_arguments",
    "plain",
    "task_inputs",
    "task_name",
    "tool_identity",
]

# ``BaseLLM._emit_call_started_event``'s parameters, in order (for positional calls).
STARTED_PARAMETERS = (
    "messages",
    "tools",
    "callbacks",
    "available_functions",
    "from_task",
    "from_agent",
    "temperature",
    "top_p",
    "max_tokens",
    "stream",
    "seed",
    "stop_sequences",
    "frequency_penalty",
    "presence_penalty",
    "n",
)
# Request parameters that fall back to the LLM's own setting when the call leaves them out.
_DEFAULTED = ("temperature", "top_p", "seed", "frequency_penalty", "presence_penalty", "n")


def named_arguments(
    names: Sequence[str], args: tuple[Any, ...], kwargs: Mapping[str, Any]
) -> dict[str, Any]:
    """A call's arguments by name (positional ones named in ``names``' order)."""
    return {**dict(zip(names, args, strict=False)), **kwargs}


def plain(value: Any) -> Any:
    """CrewAI's results as plain data: a ``CrewOutput``/``TaskOutput`` as its JSON or
    pydantic output where it has one, else its raw text; a pydantic model as its dump."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}  # type: ignore[misc]
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]  # type: ignore[misc]
    json_dict = getattr(value, "json_dict", None)
    if isinstance(json_dict, Mapping) and json_dict:
        return plain(json_dict)
    model = getattr(value, "pydantic", None)
    if model is None and isinstance(getattr(value, "raw", None), str):
        return value.raw
    dump = getattr(model if model is not None else value, "model_dump", None)
    if callable(dump):
        try:
            return dump(mode="json")
        except Exception:
            return repr(value)
    return str(value)


# -- crews, agents, tasks, tools ---------------------------------------------------------


def crew_name(crew: Any) -> str:
    return str(get(crew, "name") or "crew")


def flow_name(flow: Any) -> str:
    """A flow's ``name`` where it has one, else its class's name."""
    name = getattr(flow, "name", None)
    return name if isinstance(name, str) and name else type(flow).__name__


def internal_flow(flow: Any) -> bool:
    """CrewAI's own flows (the AgentExecutor an agent's kickoff runs is one): its
    internals, not the user's workflow."""
    return type(flow).__module__.split(".")[0] == "crewai"


def method_output(result: Any) -> Any:
    """``Flow._execute_method`` returns ``(the method's result, its event id)``."""
    if isinstance(result, tuple):
        return cast("tuple[Any, ...]", result)[0] if result else None
    return result


def in_event_loop() -> bool:
    """Whether a loop runs here (``Agent.kickoff`` then returns ``kickoff_async()``)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def agent_identity(agent: Any) -> tuple[str, str | None, str | None]:
    """``(name, id, description)``: the agent's role, id and goal."""
    role = str(get(agent, "role") or type(agent).__name__).strip()
    agent_id = get(agent, "id")
    goal = get(agent, "goal")
    return role, (str(agent_id) if agent_id else None), (str(goal) if goal else None)


def agent_model(agent: Any) -> dict[str, Any]:
    """The agent's model and provider (``invoke_agent`` carries them where known)."""
    llm = get(agent, "llm")
    if llm is None or isinstance(llm, str):
        return {}
    provider, model = llm_model(llm)
    return {G.PROVIDER_NAME: provider, G.REQUEST_MODEL: model} if model else {}


def agent_inputs(task: Any, context: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"task": get(task, "description")}
    if context:
        out["context"] = context
    return out


def task_name(task: Any) -> str:
    name = get(task, "name")
    return f"Task {name}" if name else "Task"


def task_inputs(task: Any, agent: Any, context: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "description": get(task, "description"),
        "expected_output": get(task, "expected_output"),
    }
    agent = agent or get(task, "agent")
    if agent is not None:
        out["agent"] = agent_identity(agent)[0]
    if context:
        out["context"] = context
    return out


def tool_identity(tool: Any) -> tuple[str, str | None]:
    """``(name, description)`` of a CrewAI tool."""
    name = str(get(tool, "name") or type(tool).__name__)
    description = get(tool, "description")
    return name, (str(description) if description else None)


# -- model calls -----------------------------------------------------------------------------


def llm_model(llm: Any) -> tuple[str, str]:
    """``(gen_ai.provider.name, model)``: a LiteLLM-style ``provider/model`` name's
    prefix, else the provider the LLM names (CrewAI's native providers set it)."""
    model = str(get(llm, "model") or "")
    prefix, slash, rest = model.partition("/")
    if slash and rest:
        return provider_name(prefix), rest
    return provider_name(str(get(llm, "provider") or "openai")), model


def llm_request(llm: Any, started: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """``(model, metadata)`` of a model call: the parameters the call passed, else the
    LLM's own (as CrewAI's started event fills them in), ``server.*`` from its URL."""
    provider, model = llm_model(llm)
    request: dict[str, Any] = {"model": model}
    for key in _DEFAULTED:
        value = started.get(key)
        request[key] = value if value is not None else get(llm, key)
    max_tokens = started.get("max_tokens")
    if max_tokens is None:
        max_tokens = get(llm, "max_tokens") or get(llm, "max_completion_tokens")
    if isinstance(max_tokens, float) and max_tokens.is_integer():
        max_tokens = int(max_tokens)
    request["max_tokens"] = max_tokens
    request["stop"] = started.get("stop_sequences") or get(llm, "stop") or None
    stream = started.get("stream")
    request["stream"] = stream if stream is not None else get(llm, "stream")
    attrs = chat_request_attributes({k: v for k, v in request.items() if v is not None})
    attrs[G.PROVIDER_NAME] = provider
    base_url = get(llm, "base_url") or get(llm, "api_base")
    if isinstance(base_url, str) and base_url:
        attrs.update(server_attributes(base_url)[1])
    return model, attrs


def llm_request_content(started: Mapping[str, Any]) -> dict[str, Any]:
    messages = started.get("messages")
    if isinstance(messages, str):
        messages = [{"role": "user", "content": messages}]
    return {
        G.INPUT_MESSAGES: input_messages(messages),
        G.TOOL_DEFINITIONS: tool_definitions(started.get("tools")),
    }


# CrewAI's flat usage keys (its providers' aliases) beside the Chat Completions ones.
_FLAT_USAGE = (
    (("prompt_token_count",), G.USAGE_INPUT_TOKENS),
    (("candidates_token_count",), G.USAGE_OUTPUT_TOKENS),
    (("cached_prompt_tokens", "cache_read_input_tokens"), G.USAGE_CACHE_READ_INPUT_TOKENS),
    (("cache_creation_tokens",), G.USAGE_CACHE_CREATION_INPUT_TOKENS),
    (("reasoning_tokens",), G.USAGE_REASONING_OUTPUT_TOKENS),
)


def llm_usage_attributes(usage: Any) -> dict[str, Any]:
    """Token usage from a CrewAI usage dict (Chat Completions keys or CrewAI's flat
    aliases of its providers' keys)."""
    if not isinstance(usage, Mapping):
        return {}
    attrs = usage_attributes(usage)
    flat = cast("Mapping[str, Any]", usage)
    for keys, name in _FLAT_USAGE:
        for key in keys:
            value = flat.get(key)
            if name not in attrs and isinstance(value, int) and value >= 0:
                attrs[name] = value
    return attrs


def llm_response_attributes(completed: Mapping[str, Any]) -> dict[str, Any]:
    """Usage, finish reason and response id from CrewAI's completed event (or, where a
    client emits none, from the call's return value alone: ``{"response": ...}``)."""
    attrs = llm_usage_attributes(completed.get("usage"))
    response_id = completed.get("response_id")
    if response_id:
        attrs[G.RESPONSE_ID] = str(response_id)
    attrs[G.RESPONSE_FINISH_REASONS] = [finish_reason(completed)]
    return attrs


def finish_reason(completed: Mapping[str, Any]) -> str:
    reason = completed.get("finish_reason")
    if reason:
        return str(reason)
    return "tool_calls" if _tool_calls(completed.get("response")) else "stop"


def _tool_calls(response: Any) -> list[Any]:
    """The tool calls a model answered with (CrewAI returns them to its executor)."""
    calls = items(response)
    return [c for c in calls if get(c, "function") is not None or get(c, "name") is not None]


def _tool_call(call: Any) -> parts.ToolCallPart:
    function = get(call, "function")
    if function is not None:  # OpenAI-shaped (OpenAI, Azure, LiteLLM)
        return tool_call_part(
            get(call, "id"), str(get(function, "name", "")), get(function, "arguments")
        )
    # Anthropic's tool_use blocks (``input``), Gemini's function calls (``args``).
    arguments = get(call, "input")
    if arguments is None:
        arguments = get(call, "args")
    return tool_call_part(get(call, "id"), str(get(call, "name", "")), arguments)


def llm_response_content(completed: Mapping[str, Any]) -> dict[str, Any]:
    """The model's answer as one output message: its text, or its tool calls."""
    response = completed.get("response")
    calls = _tool_calls(response)
    content: list[parts.Part]
    if calls:
        content = [_tool_call(c) for c in calls]
    elif response is None:
        content = []
    else:
        text = plain(response)
        content = [parts.text(text if isinstance(text, str) else dumps(text))]
    message = parts.output_message("assistant", content, finish_reason(completed))
    return {G.OUTPUT_MESSAGES: [message]}
