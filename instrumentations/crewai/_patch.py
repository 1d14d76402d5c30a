"""CrewAI's steps as spans: what to patch, and how each call becomes an invocation.

A crew's run, an agent's turn at a task, a task and a tool call each run through one
method (a sync one and its async twin), whose wrappers are the core's
(:mod:`.._wrappers`): the step's span is current while the method runs, so the steps it
calls nest under it, and CrewAI's own exceptions pass through unchanged. Model calls are
framed elsewhere (:mod:`._model`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from spanwise.common._access import tool_call_arguments
from spanwise.common._safety import report_internal_error
from spanwise.semconv import GenAIAttributes as G
from spanwise.semconv import SpanType
from spanwise.semconv import SpanwiseAttributes as S

from .._invocation import (
    AGENT,
    CHAIN,
    TOOL,
    WORKFLOW,
    Invocation,
    Kind,
    Settings,
    agent_attributes,
)
from .._invocation import tool_attributes as base_tool_attributes
from .._wrappers import Target
from . import _extract as x

__all__ = ["TARGETS"]

Content = Callable[[], Mapping[str, Any]]
Described = tuple[str, dict[str, Any], Content | None]

TASK = Kind(SpanType.TASK.value, None)


class _Step:
    """One CrewAI step as an :class:`Invocation`; subclasses say what it is."""

    site = "crewai"
    result_key: str = S.SPAN_OUTPUTS

    def describe(
        self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Described | None:
        """``(span name, attributes, inputs)``, or None to leave the call untraced."""
        raise NotImplementedError

    def start(
        self, settings: Settings, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Invocation | None:
        try:
            described = self.describe(instance, args, kwargs)
        except Exception as exc:
            report_internal_error(f"{self.site} start", exc)
            return None
        if described is None:
            return None
        name, attributes, content = described
        return Invocation.start(settings, name, attributes, content)

    def finish(
        self, run: Invocation, result: Any, kwargs: dict[str, Any], *, is_async: bool
    ) -> Any:
        try:
            if run.capture:
                run.set_content(self.result_key, x.plain(result))
        except Exception as exc:
            report_internal_error(f"{self.site} result", exc)
        run.end_ok()
        return result


class _Kickoff(_Step):
    """``Crew.kickoff`` / ``akickoff`` (``kickoff_async`` and ``kickoff_for_each`` call
    ``kickoff`` for each run): ``invoke_workflow {crew}``."""

    site = "crewai kickoff"

    def describe(
        self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Described | None:
        if getattr(instance, "stream", False):
            return None  # a streaming kickoff runs itself again, not streaming: that is traced
        name = x.crew_name(instance)
        inputs = x.named_arguments(("inputs",), args, kwargs).get("inputs")
        return (
            WORKFLOW.span_name(name),
            WORKFLOW.attributes(name),
            lambda: {S.SPAN_INPUTS: dict(inputs or {})},
        )


class _AgentTask(_Step):
    """``Agent.execute_task`` / ``aexecute_task``: ``invoke_agent {role}``."""

    site = "crewai agent"

    def describe(
        self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Described | None:
        named = x.named_arguments(("task", "context", "tools"), args, kwargs)
        role, agent_id, goal = x.agent_identity(instance)
        attributes = agent_attributes(role, agent_id, goal)
        attributes.update(x.agent_model(instance))
        return (
            AGENT.span_name(role),
            attributes,
            lambda: {S.SPAN_INPUTS: x.agent_inputs(named.get("task"), named.get("context"))},
        )


class _AgentKickoff(_Step):
    """``Agent.kickoff`` / ``kickoff_async``, an agent's run without a crew:
    ``invoke_agent {role}``, its model calls and tools under it."""

    site = "crewai agent kickoff"

    def __init__(self, is_async: bool) -> None:
        self.is_async = is_async

    def describe(
        self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Described | None:
        if not self.is_async and x.in_event_loop():
            return None  # it hands the run to kickoff_async, whose span that is
        messages = x.named_arguments(("messages",), args, kwargs).get("messages")
        role, agent_id, goal = x.agent_identity(instance)
        attributes = agent_attributes(role, agent_id, goal)
        attributes.update(x.agent_model(instance))
        return (
            AGENT.span_name(role),
            attributes,
            lambda: {S.SPAN_INPUTS: {"messages": x.plain(messages)}},
        )


class _FlowKickoff(_Step):
    """``Flow.kickoff_async``, which ``kickoff`` (on a loop of its own) and ``akickoff``
    run: ``invoke_workflow {flow}``."""

    site = "crewai flow"

    def describe(
        self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Described | None:
        if x.internal_flow(instance):
            return None
        name = x.flow_name(instance)
        inputs = x.named_arguments(("inputs",), args, kwargs).get("inputs")
        return (
            WORKFLOW.span_name(name),
            WORKFLOW.attributes(name),
            lambda: {S.SPAN_INPUTS: x.plain(dict(inputs or {}))},
        )


class _FlowMethod(_Step):
    """``Flow._execute_method``, which runs each ``@start``/``@listen``/``@router`` method:
    a CHAIN span ``{flow}.{method}`` (a step of the workflow, as LlamaIndex's workflow
    steps; a crew's TASK is a described task an agent works at, which a method is not)."""

    site = "crewai flow method"

    def describe(
        self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Described | None:
        if x.internal_flow(instance):
            return None
        method, passed = (args[0] if args else kwargs.get("method_name")), args[2:]
        return (
            f"{x.flow_name(instance)}.{method}",
            CHAIN.attributes(),
            lambda: {S.SPAN_INPUTS: x.plain({"args": list(passed)} if passed else {})},
        )

    def finish(
        self, run: Invocation, result: Any, kwargs: dict[str, Any], *, is_async: bool
    ) -> Any:
        # ``(method's result, finished event id)``: the result is the step's output.
        super().finish(run, x.method_output(result), kwargs, is_async=is_async)
        return result


class _Task(_Step):
    """``Task._execute_core`` / ``_aexecute_core``, which ``execute_sync``,
    ``execute_async`` (on its thread) and ``aexecute_sync`` all run: a TASK span."""

    site = "crewai task"

    def describe(
        self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Described | None:
        named = x.named_arguments(("agent", "context", "tools"), args, kwargs)
        return (
            x.task_name(instance),
            TASK.attributes(),
            lambda: {
                S.SPAN_INPUTS: x.task_inputs(instance, named.get("agent"), named.get("context"))
            },
        )


class _Tool(_Step):
    """A tool's run: ``execute_tool {name}`` with its arguments and result.

    ``BaseTool.run``/``arun`` (and ``Tool``'s own) are what native function calling and
    the app call; ``CrewStructuredTool.invoke``/``ainvoke`` is what the ReAct loop's
    ``ToolUsage`` calls, on a function that is not ``run``: each call is one span."""

    site = "crewai tool"
    result_key = G.TOOL_CALL_RESULT

    def __init__(self, structured: bool) -> None:
        self.structured = structured

    def describe(
        self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Described | None:
        name, description = x.tool_identity(instance)
        attributes = base_tool_attributes(name, description=description, tool_type="function")
        if self.structured:
            named = x.named_arguments(("input",), args, kwargs)
            arguments: Any = tool_call_arguments(named.get("input"))
        else:
            arguments = {"args": list(args), **kwargs} if args else dict(kwargs)
        return (
            TOOL.span_name(name),
            attributes,
            lambda: {G.TOOL_CALL_ARGUMENTS: x.plain(arguments)},
        )


_KICKOFF = _Kickoff()
_AGENT = _AgentTask()
_TASK = _Task()
_FLOW = "crewai.flow.runtime"  # where Flow's engine lives (crewai.flow.flow re-exports it)
_RUN = _Tool(structured=False)
_INVOKE = _Tool(structured=True)


def _pair(module: str, cls: str, sync: str, async_: str, operation: Any) -> list[Target]:
    """A class's sync method and its async twin (CrewAI names them apart)."""
    return [
        Target(module, cls, None, sync, operation),
        Target(module, None, cls, async_, operation),
    ]


TARGETS: tuple[Target, ...] = (
    *_pair("crewai.crew", "Crew", "kickoff", "akickoff", _KICKOFF),
    *_pair("crewai.agent.core", "Agent", "execute_task", "aexecute_task", _AGENT),
    Target("crewai.agent.core", "Agent", None, "kickoff", _AgentKickoff(is_async=False)),
    Target("crewai.agent.core", None, "Agent", "kickoff_async", _AgentKickoff(is_async=True)),
    Target(_FLOW, None, "Flow", "kickoff_async", _FlowKickoff()),
    Target(_FLOW, None, "Flow", "_execute_method", _FlowMethod()),
    *_pair("crewai.task", "Task", "_execute_core", "_aexecute_core", _TASK),
    *_pair("crewai.tools.base_tool", "BaseTool", "run", "arun", _RUN),
    *_pair("crewai.tools.base_tool", "Tool", "run", "arun", _RUN),
    *_pair("crewai.tools.structured_tool", "CrewStructuredTool", "invoke", "ainvoke", _INVOKE),
)
