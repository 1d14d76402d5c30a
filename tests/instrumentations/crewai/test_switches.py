"""autolog's switches, the plain instrumentor and uninstrument, the content policy,
never-break, and zero-code under ``opentelemetry-instrument``."""

from __future__ import annotations

import logging
import shutil
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

crewai = pytest.importorskip("crewai")

from opentelemetry.sdk.trace import TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import SimpleSpanProcessor  # noqa: E402
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter  # noqa: E402

import spanwise  # noqa: E402
from spanwise.common import _safety  # noqa: E402
from spanwise.instrumentations.crewai import CrewAIInstrumentor  # noqa: E402

from _support import clean_env, run_child  # noqa: E402
from otlp_receiver import OTLPReceiver  # noqa: E402

NAMES = [
    "invoke_workflow weather_crew",
    "Task weather",
    "invoke_agent Researcher",
    "chat gpt-4o-mini",
]


def _run(fake_server: Any, make_llm: Any, make_crew: Any) -> str:
    crew = make_crew(make_llm(fake_server.base_url), tools=False)
    return str(crew.kickoff(inputs={"city": "secret city"}).raw)


def _names(exporter: InMemorySpanExporter) -> list[str]:
    return [s.name for s in sorted(exporter.get_finished_spans(), key=lambda s: s.start_time or 0)]


def _patched() -> list[bool]:
    from crewai.llms import base_llm

    return [
        hasattr(crewai.Crew.kickoff, "__wrapped__"),
        hasattr(crewai.Agent.execute_task, "__wrapped__"),
        hasattr(base_llm.run_with_rate_limit_retry, "__wrapped__"),
        hasattr(base_llm.BaseLLM._emit_call_started_event, "__wrapped__"),
    ]


def test_disable_and_log_traces(
    fake_server: Any, make_llm: Any, make_crew: Any, exporter: InMemorySpanExporter
) -> None:
    spanwise.crewai.autolog(log_traces=False)
    assert _patched() == [True] * 4
    assert _run(fake_server, make_llm, make_crew)
    assert exporter.get_finished_spans() == ()
    spanwise.crewai.autolog()  # again: replaces, never doubles
    assert _run(fake_server, make_llm, make_crew)
    assert _names(exporter) == NAMES
    spanwise.crewai.autolog(disable=True)
    assert _patched() == [False] * 4
    exporter.clear()
    assert _run(fake_server, make_llm, make_crew)
    assert exporter.get_finished_spans() == ()


def test_plain_instrumentor_records_metadata_only(
    fake_server: Any, make_llm: Any, make_crew: Any
) -> None:
    own = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(own))
    instrumentor = CrewAIInstrumentor()
    instrumentor.instrument(tracer_provider=provider)
    try:
        assert _run(fake_server, make_llm, make_crew)
    finally:
        instrumentor.uninstrument()
    assert _names(own) == NAMES
    dumped = repr([dict(s.attributes or {}) for s in own.get_finished_spans()])
    assert "secret city" not in dumped and "sunny" not in dumped  # no content
    assert "gen_ai.usage.input_tokens" in dumped and "gen_ai.agent.name" in dumped
    assert _patched() == [False] * 4
    own.clear()
    assert _run(fake_server, make_llm, make_crew)
    assert own.get_finished_spans() == ()


def test_content_off_keeps_metadata(
    fake_server: Any,
    make_llm: Any,
    make_crew: Any,
    exporter: InMemorySpanExporter,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "false")
    spanwise.crewai.autolog()
    try:
        assert _run(fake_server, make_llm, make_crew)
    finally:
        spanwise.crewai.autolog(disable=True)
    assert _names(exporter) == NAMES
    dumped = repr([dict(s.attributes or {}) for s in exporter.get_finished_spans()])
    assert "secret city" not in dumped and "sunny" not in dumped
    assert "gen_ai.request.model" in dumped and "gen_ai.workflow.name" in dumped


def test_an_instrumentation_fault_never_reaches_the_crew(
    autolog: None,
    fake_server: Any,
    make_llm: Any,
    make_crew: Any,
    exporter: InMemorySpanExporter,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from spanwise.instrumentations.crewai import _extract

    def broken(agent: Any) -> Any:
        raise RuntimeError("a spanwise bug")

    monkeypatch.setattr(_extract, "agent_model", broken)
    monkeypatch.setattr(_safety, "_seen", set())
    monkeypatch.setenv("SPANWISE_RAISE_INTERNAL_ERRORS", "0")
    with caplog.at_level(logging.WARNING, logger="spanwise"):
        for _ in range(2):
            assert "sunny" in _run(fake_server, make_llm, make_crew)
    warnings = [r for r in caplog.records if "internal error in" in r.getMessage()]
    assert len(warnings) == 1
    # Only the agent's span is lost; the rest of the tree is still traced.
    assert _names(exporter) == [n for n in NAMES if not n.startswith("invoke_agent")] * 2


APP = textwrap.dedent(
    """
    import os
    from crewai import LLM, Agent, Crew, Task
    llm = LLM(model="openai/gpt-4o-mini", base_url=os.environ["FAKE_URL"], api_key="k")
    agent = Agent(role="Researcher", goal="Find the weather", backstory="b", llm=llm)
    task = Task(description="Weather in {city}?", expected_output="One line.", agent=agent)
    crew = Crew(agents=[agent], tasks=[task], name="weather_crew")
    print(crew.kickoff(inputs={"city": "secret city"}).raw)
    """
)


@pytest.mark.slow
def test_zero_code(tmp_path: Path, fake_server: Any) -> None:
    instrument = shutil.which("opentelemetry-instrument", path=str(Path(sys.executable).parent))
    assert instrument is not None
    (tmp_path / "app.py").write_text(APP)
    receiver = OTLPReceiver().start()
    try:
        env = clean_env(
            SPANWISE_TRACKING_URI="none",
            OTEL_SERVICE_NAME="zero-code-crewai",
            OTEL_BSP_SCHEDULE_DELAY="100",
            OTEL_EXPORTER_OTLP_ENDPOINT=receiver.http_endpoint,
            FAKE_URL=fake_server.base_url,
            HOME=str(tmp_path),
        )
        out = run_child([instrument, sys.executable, "app.py"], env=env, cwd=tmp_path)
        assert "sunny" in out
        names = receiver.wait_for(4)
        spans = receiver.spans[:]
    finally:
        receiver.stop()
    assert sorted(names) == sorted(["Task", *NAMES[::2], "chat gpt-4o-mini"])
    assert {s["scope"] for s in spans} == {"spanwise.instrumentations.crewai"}
    assert "secret city" not in repr(spans)  # zero-code records metadata only
