"""What is patched in AG2 (``import autogen``) and how each call becomes a span.

* ``ConversableAgent.initiate_chat``/``a_initiate_chat`` -> ``invoke_workflow {sender ->
  recipient}`` (the conversation, with ``gen_ai.conversation.id``);
* ``ConversableAgent.generate_reply``/``a_generate_reply`` -> ``invoke_agent {name}``: a
  ``GroupChatManager``'s reply runs the group chat, so the speakers' replies nest in it;
* ``ConversableAgent.execute_function``/``a_execute_function`` -> ``execute_tool {name}``;
* ``OpenAIWrapper.create`` -> ``chat {model}``, holding the core's model-call key: the
  OpenAI (or Anthropic, Gemini...) instrumentor underneath passes through.

AG2's own OpenTelemetry (``autogen.opentelemetry``) is opt-in per object: an agent given
to ``instrument_agent`` has its methods replaced on the instance (marked
``__otel_wrapped__``), ``instrument_llm_wrapper`` replaces ``OpenAIWrapper.create``. Where
it is on, spanwise passes through (its model call still holding the model-call key), so a
call is never traced twice.
"""

from __future__ import annotations

from typing import Any, cast

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context

from spanwise.common._access import tool_call_arguments
from spanwise.common._safety import report_internal_error
from spanwise.model._chat_format import input_messages, output_messages, tool_definitions
from spanwise.semconv import ErrorAttributes
from spanwise.semconv import GenAIAttributes as G
from spanwise.semconv import SpanwiseAttributes as S

from .._chat_completions import chat_response_attributes
from .._extract import get
from .._invocation import (
    AGENT,
    CHAT,
    TOOL,
    WORKFLOW,
    Invocation,
    Settings,
    _in_model_call,
    agent_attributes,
    tool_attributes,
)
from .._llm import LLMCall
from .._wrappers import Target, Wrapper, sync_wrapper
from ..openai._extract import provider_attributes
from ._extract import (
    chat_outputs,
    config_provider,
    conversation_id,
    function_result,
    reply_output_messages,
    request_attributes,
)

__all__ = ["HANDOFF", "MODEL_TARGET", "TARGETS", "handoff_wrappers", "model_wrappers"]

_AGENT = "autogen.agentchat.conversable_agent"
_CLIENT = "autogen.oai.client"


def _arg(args: tuple[Any, ...], kwargs: dict[str, Any], index: int, name: str) -> Any:
    return args[index] if len(args) > index else kwargs.get(name)


def _own_otel(instance: Any, method: str) -> bool:
    """Whether AG2's own instrumentation traces ``instance.method`` (it replaces the
    method on the instance)."""
    own = cast("dict[str, Any]", getattr(instance, "__dict__", None) or {})
    replaced = own.get(method)
    return bool(getattr(replaced, "__otel_wrapped__", False))


def _name(agent: Any) -> str:
    return str(getattr(agent, "name", None) or type(agent).__name__)


class _Operation:
    """Shared: a spanwise fault while recording never costs the caller its result."""

    site = "ag2"

    def record(self, run: Any, result: Any) -> None:
        raise NotImplementedError

    def finish(self, run: Any, result: Any, kwargs: dict[str, Any], *, is_async: bool) -> Any:
        try:
            self.record(run, result)
        except Exception as exc:
            report_internal_error(f"{self.site} record", exc)
        run.end_ok()
        return result


class _Chat(_Operation):
    """``initiate_chat(recipient, clear_history, silent, cache, max_turns, summary_method,
    summary_args, message, **context)``."""

    site = "ag2 chat"

    def __init__(self, method: str) -> None:
        self.method = method

    def start(
        self, settings: Settings, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Invocation | None:
        try:
            if _own_otel(instance, self.method):
                return None
            recipient = _arg(args, kwargs, 0, "recipient")
            name = f"{_name(instance)} -> {_name(recipient)}"
            message = kwargs.get("message")
            max_turns = kwargs.get("max_turns")
            return Invocation.start(
                settings,
                WORKFLOW.span_name(name),
                WORKFLOW.attributes(name),
                lambda: {
                    S.SPAN_INPUTS: {
                        "message": message if not callable(message) else None,
                        "max_turns": max_turns,
                    }
                },
            )
        except Exception as exc:
            report_internal_error(f"{self.site} start", exc)
            return None

    def record(self, run: Any, result: Any) -> None:
        run.record(conversation_id(result), {S.SPAN_OUTPUTS: chat_outputs(result)})


class _Reply(_Operation):
    """``generate_reply(messages=None, sender=None, exclude=())``."""

    site = "ag2 reply"

    def __init__(self, method: str) -> None:
        self.method = method

    def start(
        self, settings: Settings, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Invocation | None:
        try:
            if _own_otel(instance, self.method):
                return None
            name = _name(instance)
            description = getattr(instance, "description", None)
            messages = _arg(args, kwargs, 0, "messages")
            sender = _arg(args, kwargs, 1, "sender")

            def content() -> dict[str, Any]:
                history = messages
                if history is None and sender is not None:
                    history = getattr(instance, "chat_messages", {}).get(sender)
                return {G.INPUT_MESSAGES: input_messages(history)}

            return Invocation.start(
                settings,
                AGENT.span_name(name),
                agent_attributes(name, description=str(description) if description else None),
                content,
            )
        except Exception as exc:
            report_internal_error(f"{self.site} start", exc)
            return None

    def record(self, run: Any, result: Any) -> None:
        if run.capture:
            output = reply_output_messages(result)
            if output is not None:
                run.set_content(G.OUTPUT_MESSAGES, output)


class _Function(_Operation):
    """``execute_function(func_call, call_id=None, verbose=False)``."""

    site = "ag2 tool"

    def __init__(self, method: str) -> None:
        self.method = method

    def start(
        self, settings: Settings, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Invocation | None:
        try:
            if _own_otel(instance, self.method):
                return None
            func_call: Any = _arg(args, kwargs, 0, "func_call") or {}
            name = str(get(func_call, "name") or "")
            call_id = _arg(args, kwargs, 1, "call_id")
            tool = getattr(instance, "function_map", {}).get(name)
            description = getattr(tool, "__doc__", None)
            return Invocation.start(
                settings,
                TOOL.span_name(name),
                tool_attributes(
                    name,
                    call_id=str(call_id) if call_id else None,
                    description=description.strip() if isinstance(description, str) else None,
                    tool_type="function",
                ),
                lambda: {G.TOOL_CALL_ARGUMENTS: tool_call_arguments(get(func_call, "arguments"))},
            )
        except Exception as exc:
            report_internal_error(f"{self.site} start", exc)
            return None

    def record(self, run: Any, result: Any) -> None:
        ok, content = function_result(result)
        if not ok:  # AG2 catches the function's error and answers with its text
            run.record({ErrorAttributes.TYPE: "ToolExecutionError"})
        run.set_content(G.TOOL_CALL_RESULT, content)


def _base_url(wrapper: Any, client_config: Any) -> Any:
    """The base URL of the first client: AG2 moves it out of the config into the SDK
    client it builds."""
    clients: list[Any] = list(getattr(wrapper, "_clients", None) or [])
    sdk_client = getattr(clients[0], "_oai_client", None) if clients else None
    return client_config.get("base_url") or getattr(sdk_client, "base_url", None)


class _Create(_Operation):
    """``OpenAIWrapper.create(**config)``: the first config entry is the one tried first."""

    site = "ag2 model"

    def start(
        self, settings: Settings, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> LLMCall | None:
        try:
            configs: list[Any] = list(getattr(instance, "_config_list", None) or [{}])
            client_config: Any = configs[0] if configs else {}
            attributes = request_attributes(kwargs, client_config)
            model = str(attributes.get(G.REQUEST_MODEL) or "unknown")
            attributes.update(CHAT.attributes(model))
            provider = config_provider(client_config.get("api_type"))
            if provider is not None:
                attributes[G.PROVIDER_NAME] = provider
            else:
                attributes.update(provider_attributes(_base_url(instance, client_config)))

            def content() -> dict[str, Any]:
                return {
                    G.INPUT_MESSAGES: input_messages(kwargs.get("messages")),
                    G.TOOL_DEFINITIONS: tool_definitions(
                        kwargs.get("tools") or client_config.get("tools")
                    ),
                }

            return LLMCall.start_call(settings, CHAT.span_name(model), attributes, content)
        except Exception as exc:
            report_internal_error(f"{self.site} start", exc)
            return None

    def record(self, run: Any, result: Any) -> None:
        choices = getattr(result, "choices", None)
        run.record(
            chat_response_attributes(result),
            {G.OUTPUT_MESSAGES: output_messages(choices)} if run.capture and choices else None,
        )


TARGETS: tuple[Target, ...] = tuple(
    target
    for sync_method, async_method, kind in (
        ("initiate_chat", "a_initiate_chat", _Chat),
        ("generate_reply", "a_generate_reply", _Reply),
        ("execute_function", "a_execute_function", _Function),
    )
    for target in (
        Target(_AGENT, "ConversableAgent", None, sync_method, kind(sync_method)),
        Target(_AGENT, None, "ConversableAgent", async_method, kind(async_method)),
    )
)
MODEL_TARGET = Target(_CLIENT, "OpenAIWrapper", None, "create", _Create())


def model_wrappers(settings: Settings) -> Wrapper:
    """``OpenAIWrapper.create``: spanwise's model span, or, where AG2's own
    ``instrument_llm_wrapper`` traces it, the model-call key alone (no second span from
    the provider's instrumentor)."""
    traced = sync_wrapper(settings, MODEL_TARGET.operation)

    def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        create: Any = getattr(getattr(instance, "__class__", None), "create", None)
        if not getattr(create, "__otel_wrapped__", False):
            return traced(wrapped, instance, args, kwargs)
        token = _in_model_call.set(True)
        try:
            return wrapped(*args, **kwargs)
        finally:
            _in_model_call.reset(token)

    return wrapper


# ``a_generate_oai_reply`` runs the sync ``generate_oai_reply`` on an executor thread
# (``run_in_executor``, which copies no context): the agent's context is handed over by
# the agent object, so the model call nests under the reply that made it.
_handoff: dict[int, Context] = {}
HANDOFF = (_AGENT, "ConversableAgent", "a_generate_oai_reply", "generate_oai_reply")


def handoff_wrappers(settings: Settings) -> tuple[Wrapper, Wrapper]:
    """The wrappers of ``a_generate_oai_reply`` (hands its context over) and
    ``generate_oai_reply`` (takes it on the executor thread)."""

    def give(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        async def run() -> Any:
            if not settings.enabled():
                return await wrapped(*args, **kwargs)
            _handoff[id(instance)] = otel_context.get_current()
            try:
                return await wrapped(*args, **kwargs)
            finally:
                _handoff.pop(id(instance), None)

        return run()

    def take(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        parent = _handoff.get(id(instance))
        if parent is None or trace.get_current_span().get_span_context().is_valid:
            return wrapped(*args, **kwargs)
        token = otel_context.attach(parent)
        try:
            return wrapped(*args, **kwargs)
        finally:
            otel_context.detach(token)

    return give, take
