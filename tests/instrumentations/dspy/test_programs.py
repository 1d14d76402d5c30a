"""DSPy programs as span trees: modules, adapters, LM calls, tools, agents, evaluation."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import dspy
import pytest
from dspy.utils.dummies import DummyLM
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import spanwise

import semconv_check
from fake_openai import CANARY_KEY
from framework_support import only_attrs as attrs
from framework_support import tree

SCOPE = "spanwise.instrumentations.dspy"


PREDICT = [
    (1, "ChatAdapter.format", "PARSER"),
    (1, "chat dummy", "CHAT_MODEL"),
    (1, "ChatAdapter.parse", "PARSER"),
]


def test_chain_of_thought_tree(autolog: None, exporter: InMemorySpanExporter) -> None:
    lm = DummyLM([{"reasoning": "It is the capital.", "answer": "Paris"}])
    with dspy.context(lm=lm):
        result = dspy.ChainOfThought("question -> answer")(question="Capital of France?")
    assert result.answer == "Paris"
    assert tree(exporter) == [
        (0, "ChainOfThought.forward", "CHAIN"),
        (1, "Predict.forward", "CHAIN"),
        *[(d + 1, n, t) for d, n, t in PREDICT],
    ]
    module = attrs(exporter, "ChainOfThought.forward")
    assert json.loads(module["spanwise.span.inputs"]) == {"question": "Capital of France?"}
    assert json.loads(module["spanwise.span.outputs"]) == {
        "reasoning": "It is the capital.",
        "answer": "Paris",
    }
    chat = attrs(exporter, "chat dummy")
    assert chat["gen_ai.provider.name"] == "dspy"  # not LiteLLM-backed
    assert chat["gen_ai.request.model"] == "dummy"
    messages = json.loads(chat["gen_ai.input.messages"])
    assert [m["role"] for m in messages] == ["system", "user"]
    assert "Capital of France?" in messages[1]["parts"][0]["content"]
    (output,) = json.loads(chat["gen_ai.output.messages"])
    assert "Paris" in output["parts"][0]["content"]
    parsed = attrs(exporter, "ChatAdapter.parse")
    assert json.loads(parsed["spanwise.span.outputs"]) == {
        "reasoning": "It is the capital.",
        "answer": "Paris",
    }


def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


def test_react_agent_with_a_tool(autolog: None, exporter: InMemorySpanExporter) -> None:
    lm = DummyLM(
        [
            {
                "next_thought": "Look it up.",
                "next_tool_name": "get_weather",
                "next_tool_args": {"city": "Paris"},
            },
            {"next_thought": "Done.", "next_tool_name": "finish", "next_tool_args": {}},
            {"reasoning": "The tool said so.", "answer": "sunny"},
        ]
    )
    with dspy.context(lm=lm):
        result = dspy.ReAct("question -> answer", tools=[get_weather])(question="Weather?")
    assert result.answer == "sunny"
    step = [(1, "Predict.forward", "CHAIN"), *[(d + 1, n, t) for d, n, t in PREDICT]]
    assert tree(exporter) == [
        (0, "invoke_agent ReAct", "AGENT"),
        *step,
        (1, "execute_tool get_weather", "TOOL"),
        *step,
        (1, "execute_tool finish", "TOOL"),
        (1, "ChainOfThought.forward", "CHAIN"),
        *[(d + 1, n, t) for d, n, t in step],
    ]
    agent = attrs(exporter, "invoke_agent ReAct")
    assert agent["gen_ai.operation.name"] == "invoke_agent"
    assert agent["gen_ai.agent.name"] == "ReAct"
    tool = attrs(exporter, "execute_tool get_weather")
    assert tool["gen_ai.tool.name"] == "get_weather"
    assert tool["gen_ai.tool.description"] == "The weather in a city."
    assert json.loads(tool["gen_ai.tool.call.arguments"]) == {"city": "Paris"}
    assert json.loads(tool["gen_ai.tool.call.result"]) == "sunny in Paris"


async def test_async_acall(autolog: None, exporter: InMemorySpanExporter) -> None:
    lm = DummyLM([{"answer": "Paris"}])
    with dspy.context(lm=lm):
        result = await dspy.Predict("question -> answer").acall(question="Capital?")
    assert result.answer == "Paris"
    assert tree(exporter) == [(0, "Predict.forward", "CHAIN"), *PREDICT]


def test_real_lm_is_one_model_span(
    autolog: None, real_lm: Any, fake_server: Any, exporter: InMemorySpanExporter
) -> None:
    """dspy.LM -> LiteLLM -> the OpenAI SDK: with spanwise's OpenAI instrumentor on too,
    the call is one model span, DSPy's, with what the provider answered."""
    spanwise.openai.autolog()
    try:
        with dspy.context(lm=real_lm):
            result = dspy.Predict("question -> answer")(question="Capital of France?")
    finally:
        spanwise.openai.autolog(disable=True)
    assert result.answer == "Paris"
    assert tree(exporter) == [
        (0, "Predict.forward", "CHAIN"),
        (1, "ChatAdapter.format", "PARSER"),
        (1, "chat gpt-4o-mini", "CHAT_MODEL"),
        (1, "ChatAdapter.parse", "PARSER"),
    ]
    chat = attrs(exporter, "chat gpt-4o-mini")
    metadata = {
        k: v for k, v in chat.items() if not k.startswith(("gen_ai.input", "gen_ai.output"))
    }
    # The LM's own default max_tokens differs between DSPy versions (none in 3.4).
    assert metadata.pop("gen_ai.request.max_tokens", None) == real_lm.kwargs.get("max_tokens")
    assert metadata == {
        "spanwise.span.type": "CHAT_MODEL",
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.request.temperature": 0.2,
        "server.address": "127.0.0.1",
        "server.port": fake_server.port,
        "gen_ai.response.id": "chatcmpl-dspy-1",
        "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
        "gen_ai.response.finish_reasons": ("stop",),
        "gen_ai.usage.input_tokens": 30,
        "gen_ai.usage.output_tokens": 5,
    }
    (output,) = json.loads(chat["gen_ai.output.messages"])
    assert output["finish_reason"] == "stop" and "Paris" in output["parts"][0]["content"]
    if semconv_check.available():
        semconv_check.check_attributes(chat)
    dumped = "".join(s.to_json() for s in exporter.get_finished_spans())
    assert CANARY_KEY in str(fake_server.requests[-1]["headers"])  # it was sent...
    assert CANARY_KEY not in dumped  # ...and never recorded


def test_errors_pass_through(
    autolog: None, fake_server: Any, exporter: InMemorySpanExporter
) -> None:
    lm = dspy.LM(
        "openai/error-500", api_base=fake_server.base_url, api_key="k", cache=False, num_retries=0
    )
    with dspy.context(lm=lm), pytest.raises(Exception) as raised:
        dspy.Predict("question -> answer")(question="Capital?")
    error_type = type(raised.value).__qualname__
    module = attrs(exporter, "Predict.forward")
    assert module["error.type"] == error_type
    # DSPy may retry with another adapter: every model call failed the same way.
    spans = exporter.get_finished_spans()
    chats = [s for s in spans if s.name == "chat error-500"]
    assert chats and all((s.attributes or {})["error.type"] == error_type for s in chats)
    assert {s.status.status_code.name for s in chats} == {"ERROR"}


def test_evaluate_is_a_workflow_over_threads(autolog: None, exporter: InMemorySpanExporter) -> None:
    lm = DummyLM(
        {"Capital of France?": {"answer": "Paris"}, "Capital of Peru?": {"answer": "Lima"}}
    )
    devset = [
        dspy.Example(question="Capital of France?", answer="Paris").with_inputs("question"),
        dspy.Example(question="Capital of Peru?", answer="Lima").with_inputs("question"),
    ]
    program = dspy.Predict("question -> answer")
    with dspy.context(lm=lm):
        result = dspy.Evaluate(devset=devset, num_threads=2, display_progress=False)(
            program, metric=lambda example, pred, trace=None: example.answer == pred.answer
        )
    assert result.score == 100.0
    shape = tree(exporter)
    assert shape[0] == (0, "invoke_workflow Evaluate Predict", "WORKFLOW")
    assert sorted(shape[1:]) == sorted(
        [(1, "Predict.forward", "CHAIN")] * 2 + [(d + 1, n, t) for d, n, t in PREDICT] * 2
    )
    workflow = attrs(exporter, "invoke_workflow Evaluate Predict")
    assert json.loads(workflow["spanwise.span.outputs"]) == {"score": 100.0}
    assert len({s.context.trace_id for s in exporter.get_finished_spans() if s.context}) == 1


def test_nests_under_the_callers_span(autolog: None, exporter: InMemorySpanExporter) -> None:
    @spanwise.trace
    def app(question: str) -> str:
        with dspy.context(lm=DummyLM([{"answer": "Paris"}])):
            return str(dspy.Predict("question -> answer")(question=question).answer)

    assert asyncio.run(asyncio.to_thread(app, "Capital?")) == "Paris"
    assert [(d, n) for d, n, _ in tree(exporter)] == [
        (0, "app"),
        (1, "Predict.forward"),
        (2, "ChatAdapter.format"),
        (2, "chat dummy"),
        (2, "ChatAdapter.parse"),
    ]
