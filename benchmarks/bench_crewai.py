"""Latency each CrewAI instrumentation adds to a crew run, on a fake backend.

``_framework_bench``'s agent (one tool call, two model calls) as a CrewAI crew of one
agent and one task with one tool: ``crewai.LLM`` (CrewAI's native OpenAI provider) asks,
the fake answers with a call of ``get_weather`` (native function calling), CrewAI runs it,
and a second call answers. The LLM's OpenAI SDK clients are replaced by ones on an
in-process transport to ``examples/fake_openai.py``. The method of ``bench_langchain.py``
(``_provider_bench``'s toggled one). Peers: OpenInference's
``openinference-instrumentation-crewai`` and OpenLLMetry's
``opentelemetry-instrumentation-crewai``; the yardstick is ``_framework_bench``'s. Content
capture is on for every tool but "spanwise, content off"; CrewAI's own telemetry and
platform tracing are off in every worker. CrewAI needs openai<3: workers run
with ``SPANWISE_BENCH_FRAMEWORKS_PYTHON`` (see ``_framework_bench``).

    python benchmarks/bench_crewai.py all        # this benchmark alone
    python benchmarks/bench_crewai.py all 1 2    # a short run: 1 round x 2 pairs
"""

from __future__ import annotations

import sys

import _framework_bench as fb
import _provider_bench as pb

CASES = ("crew: one agent, one task, one tool call",)

PEERS: dict[str, pb.Peer] = {
    **pb.spanwise_peers("crewai"),
    pb.OPENINFERENCE: pb.Peer(
        pb.instrumentor("openinference.instrumentation.crewai", "CrewAIInstrumentor"),
        "openinference-instrumentation-crewai",
    ),
    pb.OPENLLMETRY: pb.Peer(
        pb.instrumentor("opentelemetry.instrumentation.crewai", "CrewAIInstrumentor"),
        "opentelemetry-instrumentation-crewai",
    ),
}


def _scenarios() -> dict[str, pb.Call]:
    import crewai
    from crewai.tools import tool

    llm = crewai.LLM(model=f"openai/{fb.MODEL}", base_url=fb.BASE_URL, api_key=fb.API_KEY)
    # CrewAI builds its OpenAI clients itself: swap in ones on the in-process transport.
    llm._client = fb.openai_client()  # pyright: ignore[reportAttributeAccessIssue]
    llm._async_client = fb.openai_client(asynchronous=True)  # pyright: ignore[reportAttributeAccessIssue]
    agent = crewai.Agent(
        role="Researcher",
        goal="Find the weather",
        backstory="You know the weather everywhere.",
        llm=llm,
        tools=[tool("get_weather")(fb.get_weather)],
        verbose=False,
    )
    task = crewai.Task(
        description=fb.QUESTION, expected_output="One sentence.", agent=agent, name="weather"
    )
    crew = crewai.Crew(agents=[agent], tasks=[task], name="weather_crew", verbose=False)
    return {CASES[0]: crew.kickoff}


BENCH = fb.framework_bench(__file__, CASES, PEERS, _scenarios, seed=47)
run = BENCH.run  # what benchmarks/run.py calls

if __name__ == "__main__":
    BENCH.main(sys.argv[1:])
