"""autolog's switches, AutoGen's own telemetry, the content policy, never-break, and
zero-code under ``opentelemetry-instrument``."""

from __future__ import annotations

import logging
import textwrap
from pathlib import Path
from typing import Any

import pytest
from autogen_agentchat.agents import AssistantAgent
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import spanwise
from spanwise.common import _safety

from _support import zero_code
from fake_openai import CANARY_KEY

SCOPE = "spanwise.instrumentations.autogen_agentchat"
AUTOGENS_OWN = [("create_agent writer", "autogen-core"), ("invoke_agent writer", "autogen-core")]


async def _ask(model_client: Any) -> str:
    result = await AssistantAgent("writer", model_client=model_client).run(task="secret question")
    return result.messages[-1].to_text()


def _names(exporter: InMemorySpanExporter) -> list[tuple[str, str]]:
    return sorted(
        (s.name, s.instrumentation_scope.name if s.instrumentation_scope else "")
        for s in exporter.get_finished_spans()
    )


async def test_disable_and_log_traces_false(
    model_client: Any, exporter: InMemorySpanExporter
) -> None:
    spanwise.autogen_agentchat.autolog(log_traces=False)
    try:
        assert (await _ask(model_client)).startswith("Hello!")
        # Not traced by spanwise: AutoGen's own GenAI spans are back (its scope, not ours).
        assert _names(exporter) == AUTOGENS_OWN
        exporter.clear()
        spanwise.autogen_agentchat.autolog()
        assert (await _ask(model_client)).startswith("Hello!")
        assert _names(exporter) == [("chat gpt-4o-mini", SCOPE), ("invoke_agent writer", SCOPE)]
    finally:
        spanwise.autogen_agentchat.autolog(disable=True)
    exporter.clear()
    assert (await _ask(model_client)).startswith("Hello!")  # uninstrumented: AutoGen's own only
    assert _names(exporter) == AUTOGENS_OWN


async def test_autogens_own_spans_are_not_doubled(
    autolog: None,
    model_client: Any,
    exporter: InMemorySpanExporter,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With AutoGen's runtime tracing on, its messaging spans stay (its own scope); its
    GenAI spans (invoke_agent, create_agent, execute_tool) are spanwise's alone."""
    monkeypatch.delenv("AUTOGEN_DISABLE_RUNTIME_TRACING")
    from autogen_agentchat.conditions import MaxMessageTermination
    from autogen_agentchat.teams import RoundRobinGroupChat

    team = RoundRobinGroupChat(
        [AssistantAgent("writer", model_client=model_client)],
        termination_condition=MaxMessageTermination(2),
    )
    await team.run(task="Hi")
    spans = exporter.get_finished_spans()
    genai = [s for s in spans if (s.attributes or {}).get("gen_ai.operation.name")]
    assert sorted(s.name for s in genai) == [
        "chat gpt-4o-mini",
        "invoke_agent writer",
        "invoke_workflow RoundRobinGroupChat",
    ]
    assert {s.instrumentation_scope.name for s in genai if s.instrumentation_scope} == {SCOPE}
    others = {
        s.instrumentation_scope.name for s in spans if s not in genai and s.instrumentation_scope
    }
    assert others == {"autogen SingleThreadedAgentRuntime"}
    # The agent's span is still in the workflow's trace.
    assert len({s.context.trace_id for s in genai if s.context}) == 1


async def test_content_off_keeps_metadata(
    model_client: Any, exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "false")
    spanwise.autogen_agentchat.autolog()
    try:
        assert (await _ask(model_client)).startswith("Hello!")
    finally:
        spanwise.autogen_agentchat.autolog(disable=True)
    spans = exporter.get_finished_spans()
    dumped = repr([dict(s.attributes or {}) for s in spans])
    assert len(spans) == 2
    assert "secret question" not in dumped and "Hello!" not in dumped
    assert "gen_ai.usage.input_tokens" in dumped and "gen_ai.agent.name" in dumped


async def test_an_instrumentation_fault_never_reaches_the_app(
    autolog: None,
    model_client: Any,
    exporter: InMemorySpanExporter,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from spanwise.instrumentations.autogen_agentchat import _patch

    def broken(*args: Any) -> Any:
        raise RuntimeError("a spanwise bug")

    monkeypatch.setattr(_patch, "agent_attributes", broken)
    monkeypatch.setattr(_safety, "_seen", set())
    monkeypatch.setenv("SPANWISE_RAISE_INTERNAL_ERRORS", "0")
    with caplog.at_level(logging.WARNING, logger="spanwise"):
        for _ in range(3):
            assert (await _ask(model_client)).startswith("Hello!")
    warnings = [r for r in caplog.records if "internal error in" in r.getMessage()]
    assert len(warnings) == 1
    # The model calls are still traced.
    assert [n for n, _ in _names(exporter)] == ["chat gpt-4o-mini"] * 3


APP = textwrap.dedent(
    """
    import asyncio, os
    from autogen_agentchat.agents import AssistantAgent
    from autogen_ext.models.openai import OpenAIChatCompletionClient
    client = OpenAIChatCompletionClient(
        model="gpt-4o-mini", base_url=os.environ["FAKE_BASE_URL"],
        api_key=os.environ["FAKE_API_KEY"], max_retries=0,
        model_info={"vision": False, "function_calling": True, "json_output": True,
                    "family": "unknown", "structured_output": True},
    )
    result = asyncio.run(AssistantAgent("writer", model_client=client).run(task="secret question"))
    assert result.messages[-1].to_text().startswith("Hello!"), result.messages[-1]
    print("done")
    """
)


@pytest.mark.slow
def test_zero_code(tmp_path: Path, fake_server: Any) -> None:
    spans = zero_code(
        tmp_path,
        APP,
        2,
        FAKE_BASE_URL=fake_server.base_url,
        FAKE_API_KEY=CANARY_KEY,
        SPANWISE_TRACKING_URI="none",
        OTEL_SERVICE_NAME="zero-code-autogen",
        AUTOGEN_DISABLE_RUNTIME_TRACING="true",
    )
    # One model span (the OpenAI instrumentor, loaded too, passes through) under the agent.
    assert sorted(s["name"] for s in spans) == ["chat gpt-4o-mini", "invoke_agent writer"]
    assert {s["scope"] for s in spans} == {SCOPE}
    assert "secret question" not in repr(spans)  # zero-code records metadata only
    assert CANARY_KEY not in repr(spans)
