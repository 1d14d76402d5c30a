"""FunctionAgent and workflows: invoke_agent, execute_tool, chat, and their parents.

(No ``from __future__ import annotations``: llama-index-core 0.12.0 reads a step's event
types from its signature unresolved.)
"""

import json
from collections.abc import Callable
from typing import Any

import pytest

pytest.importorskip("llama_index.core")

from llama_index.core.llms.mock import MockLLM
from llama_index.core.workflow import Event, StartEvent, StopEvent, Workflow, step
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import semconv_check

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

AGENT_TREE = [
    ("invoke_agent calculator", "INTERNAL", "invoke_agent", None),
    ("chat unknown", "CLIENT", "chat", "invoke_agent calculator"),
    ("execute_tool add", "INTERNAL", "execute_tool", "invoke_agent calculator"),
    ("chat unknown", "CLIENT", "chat", "invoke_agent calculator"),
]


async def test_agent_tree(
    autolog: None,
    agent: Any,
    exporter: InMemorySpanExporter,
    tree: Callable[[], list[Any]],
    attrs: Callable[[str], dict[str, Any]],
) -> None:
    result = await agent.run(user_msg="add 2 and 3")
    assert str(result) == "The sum is 5."
    assert tree() == AGENT_TREE

    invoke = attrs("invoke_agent calculator")
    assert invoke["gen_ai.agent.name"] == "calculator"
    assert invoke["gen_ai.agent.description"] == "Adds numbers."
    assert json.loads(invoke["spanwise.span.inputs"])["user_msg"] == "add 2 and 3"
    assert json.loads(invoke["spanwise.span.outputs"]) == "The sum is 5."

    tool = attrs("execute_tool add")
    assert tool["gen_ai.tool.call.id"] == "call_1"
    assert tool["gen_ai.tool.type"] == "function"
    assert json.loads(tool["gen_ai.tool.call.arguments"]) == {"a": 2, "b": 3}
    assert json.loads(tool["gen_ai.tool.call.result"]) == 5

    first, second = (s for s in exporter.get_finished_spans() if s.name == "chat unknown")
    first_attrs, second_attrs = dict(first.attributes or {}), dict(second.attributes or {})
    assert json.loads(first_attrs["gen_ai.input.messages"]) == [
        {"role": "system", "parts": [{"type": "text", "content": "You add numbers."}]},
        {"role": "user", "parts": [{"type": "text", "content": "add 2 and 3"}]},
    ]
    assert json.loads(first_attrs["gen_ai.tool.definitions"])[0]["name"] == "add"
    assert json.loads(first_attrs["gen_ai.output.messages"]) == [
        {
            "role": "assistant",
            "parts": [
                {"type": "tool_call", "name": "add", "id": "call_1", "arguments": {"a": 2, "b": 3}}
            ],
            "finish_reason": "tool_call",
        }
    ]
    history = json.loads(second_attrs["gen_ai.input.messages"])
    assert history[-1] == {
        "role": "tool",
        "parts": [{"type": "tool_call_response", "id": "call_1", "response": "5"}],
    }
    assert isinstance(first_attrs["gen_ai.response.time_to_first_chunk"], float)
    if semconv_check.available():
        for span in exporter.get_finished_spans():
            semconv_check.check_attributes(span.attributes or {})


async def test_agent_without_streaming(
    autolog: None, agent: Any, tree: Callable[[], list[Any]]
) -> None:
    if "streaming" not in type(agent).model_fields:
        pytest.skip("FunctionAgent streams always before llama-index-core 0.13")
    agent.streaming = False
    await agent.run(user_msg="add 2 and 3")
    assert tree() == AGENT_TREE


async def test_agent_nests_under_trace_and_user_code_under_tool(
    autolog: None, agent_with: Callable[[Any], Any], tree: Callable[[], list[Any]]
) -> None:
    import spanwise

    @spanwise.trace(name="lookup")
    def lookup(a: int) -> int:
        return a

    def traced_add(a: int, b: int) -> int:
        """Add two numbers."""
        return lookup(a) + b

    agent = agent_with(traced_add)

    @spanwise.trace(name="app")
    async def app() -> Any:
        return await agent.run(user_msg="add 2 and 3")

    await app()
    # llama-index-core 0.12 runs a sync tool on the loop's executor without the caller's
    # context: the user's span there has no parent (nothing spanwise can give it).
    inside = "execute_tool add" if await _tools_keep_context() else None
    assert tree() == [
        ("app", "INTERNAL", None, None),
        ("invoke_agent calculator", "INTERNAL", "invoke_agent", "app"),
        ("chat unknown", "CLIENT", "chat", "invoke_agent calculator"),
        ("execute_tool add", "INTERNAL", "execute_tool", "invoke_agent calculator"),
        ("lookup", "INTERNAL", None, inside),
        ("chat unknown", "CLIENT", "chat", "invoke_agent calculator"),
    ]


async def _tools_keep_context() -> bool:
    """Whether LlamaIndex runs a sync tool's function in the caller's context."""
    from contextvars import ContextVar

    from llama_index.core.tools.function_tool import sync_to_async

    probe = ContextVar("probe", default=False)
    probe.set(True)
    return bool(await sync_to_async(probe.get)())


class Drafted(Event):
    draft: str


# At module level: llama-index-core 0.12 resolves a step's annotations in its module.
class Writer(Workflow):
    @step
    async def draft(self, ev: StartEvent) -> Drafted:
        text = await MockLLM(max_tokens=2).acomplete(ev.topic)
        return Drafted(draft=str(text))

    @step
    async def publish(self, ev: Drafted) -> StopEvent:
        return StopEvent(result=ev.draft.upper())


async def test_workflow_and_steps(autolog: None, tree: Callable[[], list[Any]]) -> None:
    assert await Writer().run(topic="owls") == "TEXT TEXT"
    assert tree() == [
        ("invoke_workflow Writer", "INTERNAL", "invoke_workflow", None),
        ("Writer.draft", "INTERNAL", None, "invoke_workflow Writer"),
        ("text_completion unknown", "CLIENT", "text_completion", "Writer.draft"),
        ("Writer.publish", "INTERNAL", None, "invoke_workflow Writer"),
    ]


async def test_tool_error_is_recorded_and_the_agent_goes_on(
    autolog: None, agent_with: Callable[[Any], Any], exporter: InMemorySpanExporter
) -> None:
    def broken(a: int, b: int) -> int:
        """Add two numbers."""
        raise ValueError("no adding today")

    await agent_with(broken).run(user_msg="add 2 and 3")
    (tool,) = (s for s in exporter.get_finished_spans() if s.name == "execute_tool add")
    assert tool.status.status_code.name == "ERROR"
    assert (tool.attributes or {})["error.type"] == "ValueError"
    assert [e.name for e in tool.events] == ["exception"]
