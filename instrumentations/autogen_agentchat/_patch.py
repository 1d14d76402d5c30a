"""What is patched in AutoGen 0.7 and how each call becomes a span.

* agents: ``BaseChatAgent.run``/``run_stream``, the ``on_messages``/``on_messages_stream``
  of AgentChat's agents, and a team's call of an agent (``ChatAgentContainer.
  handle_request``, which reaches custom agents too) -> ``invoke_agent {name}``;
* teams: ``BaseGroupChat.run``/``run_stream`` (RoundRobinGroupChat, SelectorGroupChat,
  Swarm, MagenticOneGroupChat, GraphFlow) -> ``invoke_workflow {name}``;
* tools: ``BaseTool.run_json``, ``BaseStreamTool.run_json_stream`` -> ``execute_tool {name}``;
* model clients: ``create``/``create_stream`` of autogen-ext's clients (OpenAI and Azure
  OpenAI, Anthropic, Ollama, Azure AI, llama.cpp, Replay) -> ``chat {model}``, holding the
  core's model-call key: the OpenAI (or Anthropic) instrumentor underneath passes through.

AutoGen's own GenAI spans (``trace_invoke_agent_span``, ``trace_create_agent_span``,
``trace_tool_span``, on the global tracer provider) would double these: while spanwise
traces, its call sites get a no-op in their place (:func:`quiet_wrapper`).
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from opentelemetry import trace
from opentelemetry.instrumentation.utils import unwrap
from wrapt import wrap_function_wrapper  # type: ignore[import-untyped]

from spanwise.common._safety import report_internal_error
from spanwise.semconv import GenAIAttributes as G
from spanwise.semconv import SpanwiseAttributes as S

from .._invocation import (
    AGENT,
    CHAT,
    TOOL,
    WORKFLOW,
    Invocation,
    Settings,
    agent_attributes,
    tool_attributes,
)
from .._llm import LLMCall
from .._wrappers import Wrapper, async_wrapper, resolve
from ..openai._extract import provider_attributes
from ._extract import (
    agent_input_messages,
    agent_output_messages,
    client_model,
    client_provider,
    llm_input_messages,
    model_request_attributes,
    result_attributes,
    result_output_messages,
    task_text,
    team_outputs,
    tool_definitions,
)
from ._lifecycle import NestedRun, StreamOperation, agen_wrapper, outer_run

__all__ = ["QUIET_SITES", "TARGETS", "Patch", "quiet_wrapper"]


def _arg(args: tuple[Any, ...], kwargs: dict[str, Any], index: int, name: str) -> Any:
    return args[index] if len(args) > index else kwargs.get(name)


class _Operation:
    """Shared by the kinds: a coroutine's result and a stream's items are recorded the
    same way, and a spanwise fault in recording never costs the caller its result."""

    def record(self, run: Any, outcome: Any) -> None:
        raise NotImplementedError

    def outer(self, instance: Any) -> Invocation | None:
        return None

    def item(self, run: Any, item: Any) -> None:
        self.record(run, item)

    def finish(self, run: Any, result: Any, kwargs: dict[str, Any], *, is_async: bool) -> Any:
        try:
            self.record(run, result)
        except Exception as exc:
            report_internal_error("autogen record", exc)
        run.end_ok()
        return result


class _Agent(_Operation):
    """An agent's invocation; ``messages`` is where its input is (a run's task, the new
    messages of ``on_messages``, a team container's buffer)."""

    def __init__(self, messages: Callable[[Any, tuple[Any, ...], dict[str, Any]], Any]) -> None:
        self._messages = messages

    @staticmethod
    def agent(instance: Any) -> Any:
        return instance

    def start(
        self, settings: Settings, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> NestedRun | None:
        try:
            agent = self.agent(instance)
            if agent is None or outer_run(agent) is not None:
                return None
            name = str(getattr(agent, "name", None) or type(agent).__name__)
            description = getattr(agent, "description", None)
            attributes = agent_attributes(
                name, description=str(description) if description else None
            )
            run: NestedRun | None = NestedRun.start(
                settings,
                AGENT.span_name(name),
                attributes,
                lambda: {
                    G.INPUT_MESSAGES: agent_input_messages(self._messages(instance, args, kwargs))
                },
            )
            if run is not None:
                run.key = id(agent)
            return run
        except Exception as exc:
            report_internal_error("autogen agent start", exc)
            return None

    def outer(self, instance: Any) -> Invocation | None:
        agent = self.agent(instance)
        return None if agent is None else outer_run(agent)

    def record(self, run: Any, outcome: Any) -> None:
        if run.capture:
            output = agent_output_messages(outcome)
            if output is not None:
                run.set_content(G.OUTPUT_MESSAGES, output)


class _Container(_Agent):
    """A team's call of one of its agents (a nested team is traced as a team)."""

    @staticmethod
    def agent(instance: Any) -> Any:
        agent = getattr(instance, "_agent", None)
        # A nested team (autogen_agentchat.base.Team) is traced by its own run_stream.
        return None if any(c.__name__ == "Team" for c in type(agent).__mro__) else agent


class _Team(_Operation):
    def start(
        self, settings: Settings, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> NestedRun | None:
        try:
            if outer_run(instance) is not None:  # run -> run_stream
                return None
            name = str(getattr(instance, "name", None) or type(instance).__name__)
            description = getattr(instance, "description", None)
            attributes = WORKFLOW.attributes(name)
            if description:
                attributes[G.AGENT_DESCRIPTION] = str(description)
            run: NestedRun | None = NestedRun.start(
                settings,
                WORKFLOW.span_name(name),
                attributes,
                lambda: {S.SPAN_INPUTS: {"task": task_text(kwargs.get("task"))}},
            )
            if run is not None:
                run.key = id(instance)
            return run
        except Exception as exc:
            report_internal_error("autogen team start", exc)
            return None

    def record(self, run: Any, outcome: Any) -> None:
        if run.capture:
            outputs = team_outputs(outcome)
            if outputs is not None:
                run.set_content(S.SPAN_OUTPUTS, outputs)


class _ToolRun(Invocation):
    __slots__ = ("tool",)

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.tool: Any = None


def _plain(arguments: Any) -> Any:
    if isinstance(arguments, Mapping):
        return {str(k): v for k, v in arguments.items()}  # type: ignore[misc]
    return arguments


class _Tool(_Operation):
    def start(
        self, settings: Settings, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Invocation | None:
        try:
            name = str(getattr(instance, "name", None) or type(instance).__name__)
            description = getattr(instance, "description", None)
            call_id = _arg(args, kwargs, 2, "call_id")
            arguments = _arg(args, kwargs, 0, "args")
            attributes = tool_attributes(
                name,
                call_id=str(call_id) if call_id else None,
                description=str(description) if description else None,
                tool_type="function",
            )
            run: _ToolRun | None = _ToolRun.start(
                settings,
                TOOL.span_name(name),
                attributes,
                lambda: {G.TOOL_CALL_ARGUMENTS: _plain(arguments)},
            )
            if run is not None:
                run.tool = instance
            return run
        except Exception as exc:
            report_internal_error("autogen tool start", exc)
            return None

    def record(self, run: Any, outcome: Any) -> None:
        if run.capture:
            instance = getattr(run, "tool", None)
            as_string = getattr(instance, "return_value_as_string", None)
            run.set_content(
                G.TOOL_CALL_RESULT, as_string(outcome) if callable(as_string) else outcome
            )


class _ModelCall(LLMCall):
    __slots__ = ("chunked",)

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.chunked = False


class _Model(_Operation):
    """``create``/``create_stream(messages, *, tools, tool_choice, json_output,
    extra_create_args, cancellation_token)`` of a model client."""

    def start(
        self, settings: Settings, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> LLMCall | None:
        try:
            create_args = getattr(instance, "_create_args", None)
            model = client_model(
                create_args,
                getattr(instance, "_model_name", None),
                getattr(instance, "_model_info", None),
            )
            attributes = model_request_attributes(
                model, create_args, kwargs.get("extra_create_args"), kwargs.get("json_output")
            )
            attributes.update(CHAT.attributes(model))
            attributes.update(self.provider(instance))
            messages = _arg(args, kwargs, 0, "messages")
            tools = kwargs.get("tools")

            def content() -> dict[str, Any]:
                return {
                    G.INPUT_MESSAGES: llm_input_messages(messages),
                    G.TOOL_DEFINITIONS: tool_definitions(tools),
                }

            return _ModelCall.start_call(settings, CHAT.span_name(model), attributes, content)
        except Exception as exc:
            report_internal_error("autogen model start", exc)
            return None

    @staticmethod
    def provider(instance: Any) -> dict[str, Any]:
        provider = client_provider([cls.__name__ for cls in type(instance).__mro__])
        if provider is not None:
            return {G.PROVIDER_NAME: provider}
        client = getattr(instance, "_client", None)  # the OpenAI SDK client: its base URL
        return dict(provider_attributes(getattr(client, "base_url", None)))

    def item(self, run: Any, item: Any) -> None:
        if isinstance(item, str):  # a streamed text chunk
            if not run.chunked:
                run.chunked = True
                run.first_chunk()
            return
        self.record(run, item)

    def record(self, run: Any, outcome: Any) -> None:
        if not hasattr(outcome, "finish_reason"):  # not a CreateResult
            return
        run.record(
            result_attributes(outcome),
            {G.OUTPUT_MESSAGES: result_output_messages(outcome)} if run.capture else None,
        )


# -- targets ---------------------------------------------------------------------------------

_AGENTS = "autogen_agentchat.agents"
_BASE_AGENT = "autogen_agentchat.agents._base_chat_agent"
_CONTAINER = "autogen_agentchat.teams._group_chat._chat_agent_container"
_TEAM = "autogen_agentchat.teams._group_chat._base_group_chat"
_TOOLS = "autogen_core.tools._base"


def _task(instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    return kwargs.get("task")


def _new_messages(instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    return _arg(args, kwargs, 0, "messages")


def _buffer(instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    return list(getattr(instance, "_message_buffer", None) or [])


@dataclass(frozen=True, slots=True)
class Patch:
    """``module.cls.method`` with its wrapper factory (a coroutine's or a generator's)."""

    module: str
    cls: str
    method: str
    operation: Any
    stream: bool = False

    def wrapper(self, settings: Settings) -> Wrapper:
        if self.stream:
            operation: StreamOperation = self.operation
            return agen_wrapper(settings, operation)
        return async_wrapper(settings, self.operation)


_RUN = _Agent(_task)
_ON_MESSAGES = _Agent(_new_messages)
_MODEL = _Model()
_MODEL_CLIENTS = (
    ("autogen_ext.models.openai._openai_client", "BaseOpenAIChatCompletionClient"),
    ("autogen_ext.models.anthropic._anthropic_client", "BaseAnthropicChatCompletionClient"),
    ("autogen_ext.models.ollama._ollama_client", "BaseOllamaChatCompletionClient"),
    ("autogen_ext.models.azure._azure_ai_client", "AzureAIChatCompletionClient"),
    ("autogen_ext.models.llama_cpp._llama_cpp_completion_client", "LlamaCppChatCompletionClient"),
    ("autogen_ext.models.replay._replay_chat_completion_client", "ReplayChatCompletionClient"),
)

TARGETS: tuple[Patch, ...] = (
    Patch(_BASE_AGENT, "BaseChatAgent", "run", _RUN),
    Patch(_BASE_AGENT, "BaseChatAgent", "run_stream", _RUN, stream=True),
    Patch(_BASE_AGENT, "BaseChatAgent", "on_messages_stream", _ON_MESSAGES, stream=True),
    *(
        patch
        for cls in (
            "AssistantAgent",
            "CodeExecutorAgent",
            "SocietyOfMindAgent",
            "UserProxyAgent",
            "MessageFilterAgent",
        )
        for patch in (
            Patch(_AGENTS, cls, "on_messages", _ON_MESSAGES),
            Patch(_AGENTS, cls, "on_messages_stream", _ON_MESSAGES, stream=True),
        )
    ),
    Patch(_CONTAINER, "ChatAgentContainer", "handle_request", _Container(_buffer)),
    Patch(_TEAM, "BaseGroupChat", "run", _Team()),
    Patch(_TEAM, "BaseGroupChat", "run_stream", _Team(), stream=True),
    Patch(_TOOLS, "BaseTool", "run_json", _Tool()),
    Patch(_TOOLS, "BaseStreamTool", "run_json_stream", _Tool(), stream=True),
    *(
        patch
        for module, cls in _MODEL_CLIENTS
        for patch in (
            Patch(module, cls, "create", _MODEL),
            Patch(module, cls, "create_stream", _MODEL, stream=True),
        )
    ),
)

# Where AutoGen opens its own GenAI spans: (module, function name).
QUIET_SITES: tuple[tuple[str, str], ...] = (
    (_BASE_AGENT, "trace_create_agent_span"),
    (_BASE_AGENT, "trace_invoke_agent_span"),
    (_CONTAINER, "trace_invoke_agent_span"),
    (_TOOLS, "trace_tool_span"),
    ("autogen_ext.tools.mcp._workbench", "trace_tool_span"),
)


def quiet_wrapper(settings: Settings) -> Wrapper:
    """AutoGen's own span context manager, or (while spanwise traces) one that opens no
    span and yields the current one: spanwise's span for the same agent or tool."""

    def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if settings.active and settings.log_traces:
            return contextlib.nullcontext(trace.get_current_span())
        return wrapped(*args, **kwargs)

    return wrapper


def patch(settings: Settings) -> None:
    for target in TARGETS:
        if resolve(target.module, target.cls, target.method) is not None:
            wrap_function_wrapper(
                target.module, f"{target.cls}.{target.method}", target.wrapper(settings)
            )
    for module, name in QUIET_SITES:
        try:
            owner = importlib.import_module(module)
        except ImportError:  # an optional part (MCP) that is not installed
            continue
        if hasattr(owner, name):
            wrap_function_wrapper(owner, name, quiet_wrapper(settings))


def unpatch() -> None:
    for target in TARGETS:
        owner = resolve(target.module, target.cls, target.method)
        if owner is not None:
            unwrap(owner, target.method)
    for module, name in QUIET_SITES:
        try:
            owner = importlib.import_module(module)
        except ImportError:
            continue
        if hasattr(owner, name):
            unwrap(owner, name)
