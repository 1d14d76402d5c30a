"""Crews as span trees: kickoff (sync, async, for each), tasks, agents, tools and model
calls, against a local OpenAI-compatible server."""

from __future__ import annotations

import json
from typing import Any

import pytest

crewai = pytest.importorskip("crewai")

from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter  # noqa: E402

import spanwise  # noqa: E402

import framework_support  # noqa: E402
import semconv_check  # noqa: E402
from fake_openai import CANARY_KEY  # noqa: E402

Row = tuple[int, str, str, str]


# One run of the weather crew with native function calling: the model asks for the tool,
# CrewAI runs it, the model answers from its result.
RUN: list[Row] = [
    (0, "invoke_workflow weather_crew", "WORKFLOW", "INTERNAL"),
    (1, "Task weather", "TASK", "INTERNAL"),
    (2, "invoke_agent Researcher", "AGENT", "INTERNAL"),
    (3, "chat gpt-4o-mini", "CHAT_MODEL", "CLIENT"),
    (3, "execute_tool get_weather", "TOOL", "INTERNAL"),
    (3, "chat gpt-4o-mini", "CHAT_MODEL", "CLIENT"),
]
ANSWER = "Here is what I found: sunny in Paris"


def test_kickoff_tree(
    autolog: None, fake_server: Any, make_llm: Any, make_crew: Any, exporter: InMemorySpanExporter
) -> None:
    out = make_crew(make_llm(fake_server.base_url)).kickoff(inputs={"city": "Paris"})
    assert out.raw == ANSWER
    assert framework_support.tree(exporter, kinds=True) == RUN
    assert framework_support.attrs(exporter, "invoke_workflow weather_crew") == {
        "spanwise.span.type": "WORKFLOW",
        "gen_ai.operation.name": "invoke_workflow",
        "gen_ai.workflow.name": "weather_crew",
        "spanwise.span.inputs": '{"city":"Paris"}',
        "spanwise.span.outputs": json.dumps(ANSWER),
    }
    task = framework_support.attrs(exporter, "Task weather")
    assert json.loads(task.pop("spanwise.span.inputs")) == {
        "description": "What is the weather in Paris?",
        "expected_output": "One sentence.",
        "agent": "Researcher",
    }
    assert task == {"spanwise.span.type": "TASK", "spanwise.span.outputs": json.dumps(ANSWER)}
    agent = framework_support.attrs(exporter, "invoke_agent Researcher")
    assert len(agent.pop("gen_ai.agent.id")) == 36  # the agent's uuid
    assert agent == {
        "spanwise.span.type": "AGENT",
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.agent.name": "Researcher",
        "gen_ai.agent.description": "Find the weather",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o-mini",
        "spanwise.span.inputs": '{"task":"What is the weather in Paris?"}',
        "spanwise.span.outputs": json.dumps(ANSWER),
    }
    assert framework_support.attrs(exporter, "execute_tool get_weather") == {
        "spanwise.span.type": "TOOL",
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": "get_weather",
        "gen_ai.tool.description": "The weather in a city.",
        "gen_ai.tool.type": "function",
        "gen_ai.tool.call.arguments": '{"city":"Paris"}',
        "gen_ai.tool.call.result": '"sunny in Paris"',
    }
    first, second = (
        framework_support.attrs(exporter, "chat gpt-4o-mini", 0),
        framework_support.attrs(exporter, "chat gpt-4o-mini", 1),
    )
    metadata = {
        k: v for k, v in first.items() if not k.startswith(("gen_ai.input", "gen_ai.output"))
    }
    assert json.loads(metadata.pop("gen_ai.tool.definitions")) == [
        {
            "type": "function",
            "name": "get_weather",
            "description": "The weather in a city.",
            "parameters": {
                "properties": {"city": {"title": "City", "type": "string"}},
                "required": ["city"],
                "type": "object",
                "additionalProperties": False,
            },
        }
    ]
    assert metadata == {
        "spanwise.span.type": "CHAT_MODEL",
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.request.temperature": 0.2,
        "server.address": "127.0.0.1",
        "server.port": fake_server.port,
        "gen_ai.response.id": "chatcmpl-123",
        "gen_ai.response.finish_reasons": ("tool_calls",),
        "gen_ai.usage.input_tokens": 12,
        "gen_ai.usage.output_tokens": 9,
        "gen_ai.usage.cache_read.input_tokens": 4,
        "gen_ai.usage.reasoning.output_tokens": 2,
    }
    assert [m["role"] for m in json.loads(first["gen_ai.input.messages"])] == ["system", "user"]
    assert json.loads(first["gen_ai.output.messages"]) == [
        {
            "role": "assistant",
            "parts": [
                {
                    "type": "tool_call",
                    "name": "get_weather",
                    "id": "call_demo",
                    "arguments": {"city": "Paris"},
                }
            ],
            "finish_reason": "tool_calls",
        }
    ]
    *_, call, result = json.loads(second["gen_ai.input.messages"])
    assert call["parts"][0]["type"] == "tool_call"
    assert result == {
        "role": "tool",
        "parts": [{"type": "tool_call_response", "id": "call_demo", "response": "sunny in Paris"}],
        "name": "get_weather",
    }
    assert json.loads(second["gen_ai.output.messages"]) == [
        {
            "role": "assistant",
            "parts": [{"type": "text", "content": ANSWER}],
            "finish_reason": "stop",
        }
    ]
    if semconv_check.available():
        for span in exporter.get_finished_spans():
            semconv_check.check_attributes(dict(span.attributes or {}))
    dumped = "".join(s.to_json() for s in exporter.get_finished_spans())
    assert CANARY_KEY in str(fake_server.requests[-1]["headers"])  # it was sent...
    assert CANARY_KEY not in dumped  # ...and never recorded


async def test_kickoff_async_nests_under_the_caller(
    autolog: None, fake_server: Any, make_llm: Any, make_crew: Any, exporter: InMemorySpanExporter
) -> None:
    """``kickoff_async`` runs ``kickoff`` on a worker thread: it still nests under the
    caller's span."""

    @spanwise.trace
    async def app() -> str:
        out = await make_crew(make_llm(fake_server.base_url)).kickoff_async(
            inputs={"city": "Paris"}
        )
        return str(out.raw)

    assert await app() == ANSWER
    assert framework_support.tree(exporter, kinds=True) == [
        (0, "app", "UNKNOWN", "INTERNAL"),
        *[(d + 1, n, t, k) for d, n, t, k in RUN],
    ]


async def test_akickoff_native_async(
    autolog: None, fake_server: Any, make_llm: Any, make_crew: Any, exporter: InMemorySpanExporter
) -> None:
    out = await make_crew(make_llm(fake_server.base_url)).akickoff(inputs={"city": "Paris"})
    assert out.raw == ANSWER
    assert framework_support.tree(exporter, kinds=True) == RUN
    assert json.loads(
        framework_support.attrs(exporter, "chat gpt-4o-mini", 1)["gen_ai.output.messages"]
    )[0]["parts"] == [{"type": "text", "content": ANSWER}]


def test_kickoff_for_each_is_one_workflow_per_input(
    autolog: None, fake_server: Any, make_llm: Any, make_crew: Any, exporter: InMemorySpanExporter
) -> None:
    crew = make_crew(make_llm(fake_server.base_url))
    outs = crew.kickoff_for_each(inputs=[{"city": "Paris"}, {"city": "Lima"}])
    assert [o.raw for o in outs] == [ANSWER, ANSWER]
    assert framework_support.tree(exporter, kinds=True) == RUN + RUN
    spans = exporter.get_finished_spans()
    assert len({s.context.trace_id for s in spans if s.context}) == 2
    inputs = [
        json.loads(
            framework_support.attrs(exporter, "invoke_workflow weather_crew", i)[
                "spanwise.span.inputs"
            ]
        )
        for i in (0, 1)
    ]
    assert inputs == [{"city": "Paris"}, {"city": "Lima"}]


def test_react_loop_tool(
    autolog: None,
    react_server: Any,
    make_llm: Any,
    make_crew: Any,
    exporter: InMemorySpanExporter,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A model without function calling: CrewAI's ReAct loop runs the tool through its
    ``ToolUsage`` layer (``CrewStructuredTool.invoke``), one span per tool call."""
    llm = make_llm(react_server.base_url)
    monkeypatch.setattr(type(llm), "supports_function_calling", lambda self: False)
    out = make_crew(llm).kickoff(inputs={"city": "Paris"})
    assert out.raw == "It is sunny in Paris."
    assert framework_support.tree(exporter, kinds=True) == RUN  # the same shape: model, tool, model
    tool = framework_support.attrs(exporter, "execute_tool get_weather")
    assert json.loads(tool["gen_ai.tool.call.arguments"]) == {"city": "Paris"}
    assert json.loads(tool["gen_ai.tool.call.result"]) == "sunny in Paris"
    first = framework_support.attrs(exporter, "chat gpt-4o-mini", 0)
    assert "gen_ai.tool.definitions" not in first  # the tools are in the prompt's text
    assert first["gen_ai.usage.input_tokens"] == 40
    assert first["gen_ai.response.id"] == "chatcmpl-react-1"
    (output,) = json.loads(first["gen_ai.output.messages"])
    assert output["finish_reason"] == "stop"
    assert "Action: get_weather" in output["parts"][0]["content"]


def test_task_execute_async_on_its_thread(
    autolog: None, fake_server: Any, make_llm: Any, make_crew: Any, exporter: InMemorySpanExporter
) -> None:
    crew = make_crew(make_llm(fake_server.base_url), tools=False)
    (task,) = crew.tasks

    @spanwise.trace
    def app() -> str:
        return str(task.execute_async().result(timeout=60).raw)

    assert app() == "Hello! The weather in Paris is sunny, 21 degrees."
    assert framework_support.tree(exporter, kinds=True) == [
        (0, "app", "UNKNOWN", "INTERNAL"),
        (1, "Task weather", "TASK", "INTERNAL"),
        (2, "invoke_agent Researcher", "AGENT", "INTERNAL"),
        (3, "chat gpt-4o-mini", "CHAT_MODEL", "CLIENT"),
    ]


def test_one_model_span_with_the_openai_instrumentor_on(
    autolog: None, fake_server: Any, make_llm: Any, make_crew: Any, exporter: InMemorySpanExporter
) -> None:
    """CrewAI's native OpenAI client calls the OpenAI SDK: with spanwise's OpenAI
    instrumentor on too, each model call is still one span, CrewAI's."""
    import openai

    spanwise.openai.autolog()
    try:
        client = openai.OpenAI(base_url=fake_server.base_url, api_key="k", max_retries=0)
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
        assert [s.name for s in exporter.get_finished_spans()] == ["chat m"]  # it is on
        exporter.clear()
        make_crew(make_llm(fake_server.base_url)).kickoff(inputs={"city": "Paris"})
    finally:
        spanwise.openai.autolog(disable=True)
    assert framework_support.tree(exporter, kinds=True) == RUN
    scopes = {
        s.instrumentation_scope.name
        for s in exporter.get_finished_spans()
        if s.instrumentation_scope
    }
    assert scopes == {"spanwise.instrumentations.crewai"}


def test_errors_pass_through(
    autolog: None, fake_server: Any, make_llm: Any, make_crew: Any, exporter: InMemorySpanExporter
) -> None:
    crew = make_crew(make_llm(fake_server.base_url, model="openai/error-500", max_retries=0))
    with pytest.raises(Exception) as raised:
        crew.kickoff(inputs={"city": "Paris"})
    # CrewAI retries the agent's turn (max_retry_limit=2) from inside the failed one.
    assert [(d, n) for d, n, _, _ in framework_support.tree(exporter, kinds=True)] == [
        (0, "invoke_workflow weather_crew"),
        (1, "Task weather"),
        (2, "invoke_agent Researcher"),
        (3, "chat error-500"),
        (3, "invoke_agent Researcher"),
        (4, "chat error-500"),
        (4, "invoke_agent Researcher"),
        (5, "chat error-500"),
    ]
    statuses = {s.name: s.status.status_code.name for s in exporter.get_finished_spans()}
    assert set(statuses.values()) == {"ERROR"}
    error_type = type(raised.value).__qualname__
    assert (
        framework_support.attrs(exporter, "invoke_workflow weather_crew")["error.type"]
        == error_type
    )
    assert framework_support.attrs(exporter, "chat error-500")["error.type"]


def test_a_custom_llm_emitting_crewais_events(
    autolog: None, make_crew: Any, exporter: InMemorySpanExporter
) -> None:
    """An app's own ``BaseLLM`` (defined after instrumenting) that emits CrewAI's call
    events, as CrewAI's own clients do: its calls are model spans too."""
    from crewai.events.types.llm_events import LLMCallType
    from crewai.llms.base_llm import BaseLLM, llm_call_context

    class EchoLLM(BaseLLM):
        def call(
            self,
            messages: Any,
            tools: Any = None,
            callbacks: Any = None,
            available_functions: Any = None,
            from_task: Any = None,
            from_agent: Any = None,
            response_model: Any = None,
        ) -> str:
            with llm_call_context():
                self._emit_call_started_event(
                    messages=messages, from_task=from_task, from_agent=from_agent
                )
                answer = "Final Answer: echo"
                self._emit_call_completed_event(
                    response=answer,
                    call_type=LLMCallType.LLM_CALL,
                    messages=messages,
                    usage={"prompt_tokens": 3, "completion_tokens": 2},
                )
                return answer

    llm = EchoLLM(model="echo-1", provider="echo")
    out = make_crew(llm, tools=False).kickoff(inputs={"city": "Paris"})
    assert "echo" in out.raw
    assert framework_support.tree(exporter, kinds=True) == [
        *RUN[:3],
        (3, "chat echo-1", "CHAT_MODEL", "CLIENT"),
    ]
    chat = framework_support.attrs(exporter, "chat echo-1")
    assert chat["gen_ai.provider.name"] == "echo"
    assert (chat["gen_ai.usage.input_tokens"], chat["gen_ai.usage.output_tokens"]) == (3, 2)


def test_litellm_backed_llm_is_one_model_span(
    autolog: None, fake_server: Any, make_llm: Any, make_crew: Any, exporter: InMemorySpanExporter
) -> None:
    """``crewai.LLM`` on LiteLLM on the OpenAI SDK: with spanwise's LiteLLM and OpenAI
    instrumentors on too, each model call is one span, CrewAI's."""
    pytest.importorskip("litellm")
    llm = make_llm(fake_server.base_url, is_litellm=True)
    assert type(llm).__name__ == "LLM"  # not the native client
    spanwise.litellm.autolog()
    spanwise.openai.autolog()
    try:
        out = make_crew(llm).kickoff(inputs={"city": "Paris"})
    finally:
        spanwise.litellm.autolog(disable=True)
        spanwise.openai.autolog(disable=True)
    assert out.raw == ANSWER
    assert framework_support.tree(exporter, kinds=True) == RUN
    chat = framework_support.attrs(exporter, "chat gpt-4o-mini", 0)
    assert chat["gen_ai.provider.name"] == "openai"
    assert chat["gen_ai.request.model"] == "gpt-4o-mini"
    # crewai.LLM hands tool calls back without a completed event: the answer is what the
    # call returned. (It reads no usage from LiteLLM's response either: none recorded.)
    assert chat["gen_ai.response.finish_reasons"] == ("tool_calls",)
    assert json.loads(chat["gen_ai.output.messages"]) == [
        {
            "role": "assistant",
            "parts": [
                {
                    "type": "tool_call",
                    "name": "get_weather",
                    "id": "call_demo",
                    "arguments": {"city": "Paris"},
                }
            ],
            "finish_reason": "tool_calls",
        }
    ]
    final = framework_support.attrs(exporter, "chat gpt-4o-mini", 1)
    assert json.loads(final["gen_ai.output.messages"])[0]["parts"] == [
        {"type": "text", "content": ANSWER}
    ]
