"""The OpenAI tool-agent trace over OTLP/gRPC in the openinference dialect to a real
Phoenix, read back over Phoenix's REST API: span kinds and I/O present."""

from __future__ import annotations

import json
from pathlib import Path

from e2e_backends import Server, phoenix_spans, run_agent


def test_agent_trace_in_phoenix(phoenix_server: Server, tmp_path: Path) -> None:
    project = f"spanwise-e2e-{tmp_path.name}"
    run_agent(
        {
            "SPANWISE_TRACKING_URI": str(tmp_path / "app.db"),
            "SPANWISE_EXPORT_DIALECT": "openinference",
            "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
            "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{phoenix_server.ports['grpc']}",
            "OTEL_RESOURCE_ATTRIBUTES": f"openinference.project.name={project}",
        },
        tmp_path,
    )
    spans = {s["name"]: s for s in phoenix_spans(phoenix_server, project, 4)}
    assert spans["weather_agent"]["span_kind"] == "AGENT"
    assert spans["get_weather"]["span_kind"] == "TOOL"
    chats = [s for name, s in spans.items() if name.startswith("chat")] or [
        s for s in spans.values() if s["span_kind"] == "LLM"
    ]
    assert chats and all(s["span_kind"] == "LLM" for s in chats)
    agent = spans["weather_agent"]["attributes"]
    assert json.loads(agent["input.value"]) == {
        "question": "Weather in Paris?",
        "model": "gpt-4o-mini",
    }
    assert "output.value" in agent
    tool = spans["get_weather"]["attributes"]
    assert json.loads(tool["input.value"]) == {"city": "Paris"}
    assert tool["tool.name"] == "get_weather"
    llm = chats[0]["attributes"]
    assert llm["llm.model_name"].startswith("gpt-4o-mini")
    assert llm["llm.token_count.prompt"] == 12
