"""AG2 conversations as span trees: chats, replies, tools, group chats, model calls."""

from __future__ import annotations

import json
from typing import Any

import pytest
from autogen import ConversableAgent, GroupChat, GroupChatManager
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import spanwise

import semconv_check
from fake_openai import CANARY_KEY
from framework_support import attrs, tree

SCOPE = "spanwise.instrumentations.ag2"


def pair(llm_config: dict[str, Any]) -> tuple[ConversableAgent, ConversableAgent]:
    assistant = ConversableAgent(
        "assistant", llm_config=llm_config, description="Knows the weather"
    )
    user = ConversableAgent("user", llm_config=False, human_input_mode="NEVER")

    @user.register_for_execution()  # type: ignore[misc]
    @assistant.register_for_llm(description="The weather in a city.")  # type: ignore[misc]
    def get_weather(city: str) -> str:
        return f"sunny in {city}"

    return user, assistant


CHAT_WITH_TOOL = [
    (0, "invoke_workflow user -> assistant", "WORKFLOW"),
    (1, "invoke_agent assistant", "AGENT"),
    (2, "chat gpt-4o-mini", "CHAT_MODEL"),
    (1, "invoke_agent user", "AGENT"),
    (2, "execute_tool get_weather", "TOOL"),
    (1, "invoke_agent assistant", "AGENT"),
    (2, "chat gpt-4o-mini", "CHAT_MODEL"),
]


def test_chat_with_a_tool_is_one_tree_with_one_model_span_per_call(
    autolog: None, llm_config: dict[str, Any], fake_server: Any, exporter: InMemorySpanExporter
) -> None:
    spanwise.openai.autolog()
    try:
        user, assistant = pair(llm_config)
        result = user.initiate_chat(
            assistant, message="Weather in Paris?", max_turns=2, silent=True
        )
    finally:
        spanwise.openai.autolog(disable=True)
    assert result.summary == "Here is what I found: sunny in Paris"
    assert tree(exporter) == CHAT_WITH_TOOL
    spans = exporter.get_finished_spans()
    assert {s.instrumentation_scope.name for s in spans if s.instrumentation_scope} == {SCOPE}
    workflow = attrs(exporter, "invoke_workflow user -> assistant")
    assert workflow["gen_ai.operation.name"] == "invoke_workflow"
    assert workflow["gen_ai.conversation.id"] == str(result.chat_id)
    assert json.loads(workflow["spanwise.span.inputs"]) == {
        "message": "Weather in Paris?",
        "max_turns": 2,
    }
    assert json.loads(workflow["spanwise.span.outputs"]) == {
        "summary": "Here is what I found: sunny in Paris",
        "messages": 4,
    }
    agent = attrs(exporter, "invoke_agent assistant")
    assert agent["gen_ai.agent.name"] == "assistant"
    assert agent["gen_ai.agent.description"] == "Knows the weather"
    (reply,) = json.loads(agent["gen_ai.output.messages"])
    assert reply["finish_reason"] == "tool_calls"
    assert reply["parts"][-1] == {
        "type": "tool_call",
        "id": "call_demo",
        "name": "get_weather",
        "arguments": {"city": "Paris"},
    }
    first = attrs(exporter, "chat gpt-4o-mini")
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
        "gen_ai.response.id": "chatcmpl-123",
        "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
        "gen_ai.response.finish_reasons": ("tool_calls",),
        "gen_ai.usage.input_tokens": 12,
        "gen_ai.usage.output_tokens": 9,
        "gen_ai.usage.cache_read.input_tokens": 4,
        "gen_ai.usage.reasoning.output_tokens": 2,
    }
    (definition,) = json.loads(first["gen_ai.tool.definitions"])
    assert definition["name"] == "get_weather"
    second = json.loads(attrs(exporter, "chat gpt-4o-mini", 1)["gen_ai.input.messages"])
    assert [m["role"] for m in second] == ["system", "user", "assistant", "tool"]
    tool = attrs(exporter, "execute_tool get_weather")
    assert tool["gen_ai.tool.call.id"] == "call_demo"
    assert json.loads(tool["gen_ai.tool.call.arguments"]) == {"city": "Paris"}
    assert json.loads(tool["gen_ai.tool.call.result"]) == "sunny in Paris"
    if semconv_check.available():
        for span in spans:
            semconv_check.check_attributes(dict(span.attributes or {}))
    dumped = "".join(s.to_json() for s in spans)
    assert CANARY_KEY in str(fake_server.requests[-1]["headers"])  # it was sent...
    assert CANARY_KEY not in dumped  # ...and never recorded


async def test_async_chat(
    autolog: None, llm_config: dict[str, Any], exporter: InMemorySpanExporter
) -> None:
    user, assistant = pair(llm_config)
    result = await user.a_initiate_chat(
        assistant, message="Weather in Paris?", max_turns=2, silent=True
    )
    assert result.summary == "Here is what I found: sunny in Paris"
    assert tree(exporter) == CHAT_WITH_TOOL


def test_group_chat_nests_speakers_under_the_manager(
    autolog: None, llm_config: dict[str, Any], exporter: InMemorySpanExporter
) -> None:
    writer = ConversableAgent("writer", llm_config=llm_config, description="Writes")
    critic = ConversableAgent("critic", llm_config=llm_config, description="Criticises")
    user = ConversableAgent("user", llm_config=False, human_input_mode="NEVER")
    chat = GroupChat(
        [writer, critic], messages=[], max_round=3, speaker_selection_method="round_robin"
    )
    manager = GroupChatManager(chat, llm_config=llm_config)
    user.initiate_chat(manager, message="Write a line", max_turns=1, silent=True)
    assert tree(exporter) == [
        (0, "invoke_workflow user -> chat_manager", "WORKFLOW"),
        (1, "invoke_agent chat_manager", "AGENT"),
        (2, "invoke_agent writer", "AGENT"),
        (3, "chat gpt-4o-mini", "CHAT_MODEL"),
        (2, "invoke_agent critic", "AGENT"),
        (3, "chat gpt-4o-mini", "CHAT_MODEL"),
    ]


def test_errors_pass_through(
    autolog: None, llm_config_for: Any, exporter: InMemorySpanExporter
) -> None:
    assistant = ConversableAgent("assistant", llm_config=llm_config_for("error-500"))
    user = ConversableAgent("user", llm_config=False, human_input_mode="NEVER")
    with pytest.raises(Exception) as raised:
        user.initiate_chat(assistant, message="Hi", max_turns=1, silent=True)
    error_type = type(raised.value).__qualname__
    spans = {s.name: s for s in exporter.get_finished_spans()}
    assert set(spans) == {
        "invoke_workflow user -> assistant",
        "invoke_agent assistant",
        "chat error-500",
    }
    for span in spans.values():
        assert span.status.status_code.name == "ERROR"
        assert (span.attributes or {})["error.type"] == error_type


def test_a_failing_tool_is_marked(
    autolog: None, llm_config: dict[str, Any], exporter: InMemorySpanExporter
) -> None:
    assistant = ConversableAgent("assistant", llm_config=llm_config)
    user = ConversableAgent("user", llm_config=False, human_input_mode="NEVER")

    @user.register_for_execution()  # type: ignore[misc]
    @assistant.register_for_llm(description="Always fails.")  # type: ignore[misc]
    def broken(city: str) -> str:
        raise ValueError("no weather today")

    user.initiate_chat(assistant, message="Weather?", max_turns=2, silent=True)
    tool = attrs(exporter, "execute_tool broken")
    assert tool["error.type"] == "ToolExecutionError"
    assert "no weather today" in json.loads(tool["gen_ai.tool.call.result"])


def test_nests_under_the_callers_span(
    autolog: None, llm_config: dict[str, Any], exporter: InMemorySpanExporter
) -> None:
    @spanwise.trace
    def app(question: str) -> str:
        assistant = ConversableAgent("assistant", llm_config=llm_config)
        user = ConversableAgent("user", llm_config=False, human_input_mode="NEVER")
        return str(
            user.initiate_chat(assistant, message=question, max_turns=1, silent=True).summary
        )

    assert app("Hi").startswith("Hello!")
    assert [(d, n) for d, n, _ in tree(exporter)] == [
        (0, "app"),
        (1, "invoke_workflow user -> assistant"),
        (2, "invoke_agent assistant"),
        (3, "chat gpt-4o-mini"),
    ]
