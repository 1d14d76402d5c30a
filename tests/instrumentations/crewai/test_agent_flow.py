"""An agent's run without a crew (``Agent.kickoff``) and Flows (``@start``/``@listen``
methods, ``kickoff``/``akickoff``) as span trees, against the local OpenAI-compatible
server (native function calling: the tool, then the answer)."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest

crewai = pytest.importorskip("crewai")

from crewai.flow.flow import Flow, listen, start  # noqa: E402
from crewai.tools import tool  # noqa: E402
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter  # noqa: E402

import spanwise  # noqa: E402
from spanwise.common import _safety  # noqa: E402

import framework_support  # noqa: E402
import semconv_check  # noqa: E402
from fake_openai import CANARY_KEY  # noqa: E402

ANSWER = "Here is what I found: sunny in Paris"
QUESTION = "What is the weather in Paris?"
# One agent run: the model asks for the tool, the tool runs, the model answers.
AGENT_RUN = [
    (0, "invoke_agent Researcher", "AGENT", "INTERNAL"),
    (1, "chat gpt-4o-mini", "CHAT_MODEL", "CLIENT"),
    (1, "execute_tool get_weather", "TOOL", "INTERNAL"),
    (1, "chat gpt-4o-mini", "CHAT_MODEL", "CLIENT"),
]
CONTENT_KEYS = (
    "spanwise.span.inputs",
    "spanwise.span.outputs",
    "gen_ai.input.messages",
    "gen_ai.output.messages",
    "gen_ai.tool.call.arguments",
    "gen_ai.tool.call.result",
)


def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


# The fake server's address, for the flows' agents (a Flow is a pydantic model: no field
# for it); set by the ``url`` fixture.
_SERVER: dict[str, str] = {}


@pytest.fixture(autouse=True)
def url(fake_server: Any) -> str:
    _SERVER["url"] = fake_server.base_url
    return str(fake_server.base_url)


def _agent() -> Any:
    llm = crewai.LLM(
        model="openai/gpt-4o-mini",
        base_url=_SERVER["url"],
        api_key=CANARY_KEY,
        temperature=0.2,
    )
    return crewai.Agent(
        role="Researcher",
        goal="Find the weather",
        backstory="You know the weather everywhere.",
        llm=llm,
        tools=[tool("get_weather")(get_weather)],
        verbose=False,
    )


def _deeper(rows: list[Any], by: int) -> list[Any]:
    return [(depth + by, *rest) for depth, *rest in rows]


class WeatherFlow(Flow):  # type: ignore[type-arg]
    """Picks a city, then asks an agent (a sync method: CrewAI runs it on a thread)."""

    @start()
    def pick(self) -> str:
        return str(self.state["city"])

    @listen(pick)
    def ask(self, city: str) -> str:
        return str(_agent().kickoff(f"What is the weather in {city}?").raw)


class AsyncWeatherFlow(Flow):  # type: ignore[type-arg]
    """One async method whose agent's ``kickoff`` (in a running loop) hands over to
    ``kickoff_async``: one agent span."""

    @start()
    async def ask(self) -> str:
        return str((await _agent().kickoff(QUESTION)).raw)


FLOW_RUN = [
    (0, "invoke_workflow WeatherFlow", "WORKFLOW", "INTERNAL"),
    (1, "WeatherFlow.pick", "CHAIN", "INTERNAL"),
    (1, "WeatherFlow.ask", "CHAIN", "INTERNAL"),
    *_deeper(AGENT_RUN, 2),
]


def test_agent_kickoff_tree(autolog: None, exporter: InMemorySpanExporter) -> None:
    out = _agent().kickoff(QUESTION)
    assert out.raw == ANSWER
    assert framework_support.tree(exporter, kinds=True, all_parents=True) == AGENT_RUN
    agent = framework_support.attrs(exporter, "invoke_agent Researcher")
    assert len(agent.pop("gen_ai.agent.id")) == 36
    assert agent == {
        "spanwise.span.type": "AGENT",
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.agent.name": "Researcher",
        "gen_ai.agent.description": "Find the weather",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o-mini",
        "spanwise.span.inputs": json.dumps({"messages": QUESTION}, separators=(",", ":")),
        "spanwise.span.outputs": json.dumps(ANSWER),
    }
    assert framework_support.attrs(exporter, "execute_tool get_weather")[
        "gen_ai.tool.call.result"
    ] == ('"sunny in Paris"')
    dumped = repr([dict(s.attributes or {}) for s in exporter.get_finished_spans()])
    assert CANARY_KEY not in dumped
    if semconv_check.available():
        for span in exporter.get_finished_spans():
            semconv_check.check_attributes(span.attributes or {})


def test_agent_kickoff_async_tree(autolog: None, exporter: InMemorySpanExporter) -> None:
    out = asyncio.run(_agent().kickoff_async(QUESTION))
    assert out.raw == ANSWER
    assert framework_support.tree(exporter, kinds=True, all_parents=True) == AGENT_RUN


def test_flow_tree(autolog: None, exporter: InMemorySpanExporter) -> None:
    assert WeatherFlow().kickoff(inputs={"city": "Paris"}) == ANSWER
    assert framework_support.tree(exporter, kinds=True, all_parents=True) == FLOW_RUN
    assert framework_support.attrs(exporter, "invoke_workflow WeatherFlow") == {
        "spanwise.span.type": "WORKFLOW",
        "gen_ai.operation.name": "invoke_workflow",
        "gen_ai.workflow.name": "WeatherFlow",
        "spanwise.span.inputs": '{"city":"Paris"}',
        "spanwise.span.outputs": json.dumps(ANSWER),
    }
    assert framework_support.attrs(exporter, "WeatherFlow.pick") == {
        "spanwise.span.type": "CHAIN",
        "spanwise.span.inputs": "{}",
        "spanwise.span.outputs": '"Paris"',
    }
    assert framework_support.attrs(exporter, "WeatherFlow.ask") == {
        "spanwise.span.type": "CHAIN",
        "spanwise.span.inputs": '{"args":["Paris"]}',
        "spanwise.span.outputs": json.dumps(ANSWER),
    }
    if semconv_check.available():
        for span in exporter.get_finished_spans():
            semconv_check.check_attributes(span.attributes or {})


def test_async_flow_tree(autolog: None, exporter: InMemorySpanExporter) -> None:
    flow = AsyncWeatherFlow()
    assert asyncio.run(flow.akickoff()) == ANSWER
    assert framework_support.tree(exporter, kinds=True, all_parents=True) == [
        (0, "invoke_workflow AsyncWeatherFlow", "WORKFLOW", "INTERNAL"),
        (1, "AsyncWeatherFlow.ask", "CHAIN", "INTERNAL"),
        *_deeper(AGENT_RUN, 2),
    ]


def test_flow_without_content(
    autolog: None,
    exporter: InMemorySpanExporter,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "false")
    assert WeatherFlow().kickoff(inputs={"city": "Paris"}) == ANSWER
    assert framework_support.tree(exporter, kinds=True, all_parents=True) == FLOW_RUN
    spans = exporter.get_finished_spans()
    for span in spans:
        assert not set(CONTENT_KEYS) & set(span.attributes or {}), span.name
    assert "Paris" not in repr([dict(s.attributes or {}) for s in spans])
    assert framework_support.attrs(exporter, "WeatherFlow.ask") == {"spanwise.span.type": "CHAIN"}


class FailingFlow(Flow):  # type: ignore[type-arg]
    @start()
    def boom(self) -> str:
        raise KeyError("no city")


def test_a_failing_method_fails_its_spans(autolog: None, exporter: InMemorySpanExporter) -> None:
    with pytest.raises(KeyError, match="no city"):
        FailingFlow().kickoff()
    assert framework_support.tree(exporter, kinds=True, all_parents=True) == [
        (0, "invoke_workflow FailingFlow", "WORKFLOW", "INTERNAL"),
        (1, "FailingFlow.boom", "CHAIN", "INTERNAL"),
    ]
    for span in exporter.get_finished_spans():
        assert span.status.status_code.name == "ERROR"
        assert (span.attributes or {})["error.type"] == "KeyError"


def test_a_fault_in_spanwise_never_reaches_the_flow(
    autolog: None,
    exporter: InMemorySpanExporter,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from spanwise.instrumentations.crewai import _extract

    def broken(flow: Any) -> Any:
        raise RuntimeError("a spanwise bug")

    monkeypatch.setattr(_extract, "flow_name", broken)
    monkeypatch.setattr(_safety, "_seen", set())
    monkeypatch.setenv("SPANWISE_RAISE_INTERNAL_ERRORS", "0")
    with caplog.at_level(logging.WARNING, logger="spanwise"):
        flow = WeatherFlow()
        assert flow.kickoff(inputs={"city": "Paris"}) == ANSWER
    assert [r for r in caplog.records if "internal error in" in r.getMessage()]
    # The flow's spans are lost; the agent's run in it is still traced.
    assert framework_support.tree(exporter, kinds=True, all_parents=True) == AGENT_RUN


def test_uninstrument_unwraps_agent_and_flow() -> None:
    from crewai.flow import runtime

    spanwise.crewai.autolog()
    wrapped = [
        hasattr(crewai.Agent.kickoff, "__wrapped__"),
        hasattr(crewai.Agent.kickoff_async, "__wrapped__"),
        hasattr(runtime.Flow.kickoff_async, "__wrapped__"),
        hasattr(runtime.Flow._execute_method, "__wrapped__"),
    ]
    spanwise.crewai.autolog(disable=True)
    assert wrapped == [True] * 4
    assert not hasattr(runtime.Flow._execute_method, "__wrapped__")
    assert not hasattr(crewai.Agent.kickoff, "__wrapped__")
