"""AutoGen AgentChat runs as span trees: agents, teams, tools, model calls."""

from __future__ import annotations

import json
from typing import Any

import pytest
from autogen_agentchat.agents import AssistantAgent
from autogen_agentchat.base import TaskResult
from autogen_agentchat.conditions import MaxMessageTermination
from autogen_agentchat.messages import TextMessage
from autogen_agentchat.teams import RoundRobinGroupChat, Swarm
from autogen_core import CancellationToken
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import spanwise

import semconv_check
from fake_openai import CANARY_KEY
from framework_support import attrs, tree

SCOPE = "spanwise.instrumentations.autogen_agentchat"


def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


def weather_agent(model_client: Any, **kwargs: Any) -> AssistantAgent:
    return AssistantAgent(
        "weather",
        model_client=model_client,
        tools=[get_weather],
        description="Knows the weather",
        reflect_on_tool_use=True,
        **kwargs,
    )


AGENT_WITH_TOOL = [
    (0, "invoke_agent weather", "AGENT"),
    (1, "chat gpt-4o-mini", "CHAT_MODEL"),
    (1, "execute_tool get_weather", "TOOL"),
    (1, "chat gpt-4o-mini", "CHAT_MODEL"),
]


async def test_agent_run_with_a_tool_is_one_tree_with_one_model_span_per_call(
    autolog: None, model_client: Any, fake_server: Any, exporter: InMemorySpanExporter
) -> None:
    """run -> on_messages -> on_messages_stream is one agent span; with spanwise's OpenAI
    instrumentor on too, each model call is one span: AutoGen's client's."""
    spanwise.openai.autolog()
    try:
        result = await weather_agent(model_client).run(task="Weather in Paris?")
    finally:
        spanwise.openai.autolog(disable=True)
    assert result.messages[-1].to_text() == "Here is what I found: sunny in Paris"
    assert tree(exporter) == AGENT_WITH_TOOL
    spans = exporter.get_finished_spans()
    assert {s.instrumentation_scope.name for s in spans if s.instrumentation_scope} == {SCOPE}
    assert {s.name: s.kind.name for s in spans} == {
        "invoke_agent weather": "INTERNAL",
        "chat gpt-4o-mini": "CLIENT",
        "execute_tool get_weather": "INTERNAL",
    }
    agent = attrs(exporter, "invoke_agent weather")
    assert agent["gen_ai.operation.name"] == "invoke_agent"
    assert agent["gen_ai.agent.name"] == "weather"
    assert agent["gen_ai.agent.description"] == "Knows the weather"
    assert json.loads(agent["gen_ai.input.messages"]) == [
        {"role": "user", "parts": [{"type": "text", "content": "Weather in Paris?"}]}
    ]
    (answer,) = json.loads(agent["gen_ai.output.messages"])
    assert answer["parts"][0]["content"] == "Here is what I found: sunny in Paris"

    first = attrs(exporter, "chat gpt-4o-mini", 0)
    assert {
        k: v
        for k, v in first.items()
        if not k.startswith(("gen_ai.input", "gen_ai.output", "gen_ai.tool.def"))
    } == {
        "spanwise.span.type": "CHAT_MODEL",
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.request.temperature": 0.2,
        "server.address": "127.0.0.1",
        "server.port": fake_server.port,
        "gen_ai.response.finish_reasons": ("tool_calls",),
        "gen_ai.usage.input_tokens": 12,
        "gen_ai.usage.output_tokens": 9,
    }
    (call,) = json.loads(first["gen_ai.output.messages"])
    assert call["parts"] == [
        {
            "type": "tool_call",
            "id": "call_demo",
            "name": "get_weather",
            "arguments": {"city": "Paris"},
        }
    ]
    (definition,) = json.loads(first["gen_ai.tool.definitions"])
    assert (
        definition["name"] == "get_weather"
        and definition["description"] == "The weather in a city."
    )
    second = attrs(exporter, "chat gpt-4o-mini", 1)
    history = json.loads(second["gen_ai.input.messages"])
    assert [m["role"] for m in history] == ["system", "user", "assistant", "tool"]
    assert history[3]["parts"] == [
        {"type": "tool_call_response", "id": "call_demo", "response": "sunny in Paris"}
    ]
    tool = attrs(exporter, "execute_tool get_weather")
    assert tool["gen_ai.tool.call.id"] == "call_demo"
    assert tool["gen_ai.tool.description"] == "The weather in a city."
    assert json.loads(tool["gen_ai.tool.call.arguments"]) == {"city": "Paris"}
    assert json.loads(tool["gen_ai.tool.call.result"]) == "sunny in Paris"
    if semconv_check.available():
        for span in spans:
            semconv_check.check_attributes(dict(span.attributes or {}))
    dumped = "".join(s.to_json() for s in spans)
    assert CANARY_KEY in str(fake_server.requests[-1]["headers"])  # it was sent...
    assert CANARY_KEY not in dumped  # ...and never recorded


async def test_run_stream_and_on_messages_are_one_agent_span_each(
    autolog: None, model_client: Any, exporter: InMemorySpanExporter
) -> None:
    agent = weather_agent(model_client)
    items = [item async for item in agent.run_stream(task="Weather in Paris?")]
    assert isinstance(items[-1], TaskResult)
    assert tree(exporter) == AGENT_WITH_TOOL
    exporter.clear()
    plain = AssistantAgent("writer", model_client=model_client)
    response = await plain.on_messages(
        [TextMessage(content="Say hi", source="user")], CancellationToken()
    )
    assert response.chat_message.to_text().startswith("Hello!")
    assert tree(exporter) == [
        (0, "invoke_agent writer", "AGENT"),
        (1, "chat gpt-4o-mini", "CHAT_MODEL"),
    ]


async def test_streaming_model_client_is_one_model_span(
    autolog: None, model_client: Any, exporter: InMemorySpanExporter
) -> None:
    agent = AssistantAgent("writer", model_client=model_client, model_client_stream=True)
    result = await agent.run(task="Say hi")
    assert result.messages[-1].to_text().startswith("Hello!")
    assert tree(exporter) == [
        (0, "invoke_agent writer", "AGENT"),
        (1, "chat gpt-4o-mini", "CHAT_MODEL"),
    ]
    chat = attrs(exporter, "chat gpt-4o-mini")
    assert chat["gen_ai.response.finish_reasons"] == ("stop",)
    assert chat["gen_ai.response.time_to_first_chunk"] > 0
    (output,) = json.loads(chat["gen_ai.output.messages"])
    assert output["parts"][0]["content"].startswith("Hello!")


async def test_round_robin_team_is_a_workflow_over_its_agents(
    autolog: None, model_client: Any, exporter: InMemorySpanExporter
) -> None:
    team = RoundRobinGroupChat(
        [weather_agent(model_client), AssistantAgent("writer", model_client=model_client)],
        termination_condition=MaxMessageTermination(3),
    )
    result = await team.run(task="Weather in Paris?")
    assert result.stop_reason is not None and "Maximum number of messages" in result.stop_reason
    assert tree(exporter) == [
        (0, "invoke_workflow RoundRobinGroupChat", "WORKFLOW"),
        *[(d + 1, n, t) for d, n, t in AGENT_WITH_TOOL],
        (1, "invoke_agent writer", "AGENT"),
        (2, "chat gpt-4o-mini", "CHAT_MODEL"),
    ]
    workflow = attrs(exporter, "invoke_workflow RoundRobinGroupChat")
    assert workflow["gen_ai.operation.name"] == "invoke_workflow"
    assert workflow["gen_ai.workflow.name"] == "RoundRobinGroupChat"
    assert json.loads(workflow["spanwise.span.inputs"]) == {"task": ["Weather in Paris?"]}
    outputs = json.loads(workflow["spanwise.span.outputs"])
    assert outputs["messages"] == 5 and outputs["stop_reason"] == result.stop_reason
    writer = attrs(exporter, "invoke_agent writer")
    names = [m.get("name") for m in json.loads(writer["gen_ai.input.messages"])]
    assert names == ["user", "weather"]  # the new messages the team handed it
    assert len({s.context.trace_id for s in exporter.get_finished_spans() if s.context}) == 1


async def test_swarm_handoff(
    autolog: None, model_client: Any, exporter: InMemorySpanExporter
) -> None:
    """The first agent's only tool is the handoff (the fake calls it); the second answers."""
    final = await Swarm(
        [
            AssistantAgent("triage", model_client=model_client, handoffs=["writer"]),
            AssistantAgent("writer", model_client=model_client),
        ],
        termination_condition=MaxMessageTermination(4),
    ).run(task="Hi")
    assert final.messages[-1].source == "writer"
    assert tree(exporter) == [
        (0, "invoke_workflow Swarm", "WORKFLOW"),
        (1, "invoke_agent triage", "AGENT"),
        (2, "chat gpt-4o-mini", "CHAT_MODEL"),
        (2, "execute_tool transfer_to_writer", "TOOL"),
        *[(1, "invoke_agent writer", "AGENT"), (2, "chat gpt-4o-mini", "CHAT_MODEL")] * 2,
    ]
    (call,) = json.loads(attrs(exporter, "chat gpt-4o-mini", 0)["gen_ai.output.messages"])
    assert call["parts"][0]["name"] == "transfer_to_writer"


async def test_errors_pass_through(
    autolog: None, client_for: Any, exporter: InMemorySpanExporter
) -> None:
    client = client_for("error-500")
    with pytest.raises(Exception) as raised:
        await AssistantAgent("writer", model_client=client).run(task="Hi")
    error_type = type(raised.value).__qualname__
    spans = {s.name: s for s in exporter.get_finished_spans()}
    assert set(spans) == {"invoke_agent writer", "chat error-500"}
    for span in spans.values():
        assert span.status.status_code.name == "ERROR"
        assert (span.attributes or {})["error.type"] == error_type


async def test_nests_under_the_callers_span(
    autolog: None, model_client: Any, exporter: InMemorySpanExporter
) -> None:
    @spanwise.trace
    async def app(question: str) -> str:
        result = await AssistantAgent("writer", model_client=model_client).run(task=question)
        return result.messages[-1].to_text()

    assert (await app("Hi")).startswith("Hello!")
    assert [(d, n) for d, n, _ in tree(exporter)] == [
        (0, "app"),
        (1, "invoke_agent writer"),
        (2, "chat gpt-4o-mini"),
    ]
