"""The OpenAI tool-agent trace, exported over OTLP/HTTP in the mlflow dialect to a real
MLflow server, read back with MlflowClient: span types, inputs, outputs, token usage,
tags and state equal what spanwise.get_trace shows for the same trace."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from e2e_backends import Server, mlflow_get_trace, run_agent

import spanwise


def test_agent_trace_in_mlflow(mlflow_server: Server, tmp_path: Path) -> None:
    db = tmp_path / "app.db"
    run_agent(
        {
            "SPANWISE_TRACKING_URI": str(db),
            "SPANWISE_EXPORT_DIALECT": "mlflow",
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": f"{mlflow_server.url}/v1/traces",
            "OTEL_EXPORTER_OTLP_TRACES_HEADERS": "x-mlflow-experiment-id=0",
            "OTEL_SERVICE_NAME": "spanwise-e2e",
        },
        tmp_path,
    )
    spanwise.set_tracking_uri(str(db))
    (ours,) = spanwise.search_traces("tags.app = 'openai-demo'", return_type="list")
    theirs = mlflow_get_trace(mlflow_server, ours.info.trace_id[3:])

    assert theirs["state"] == "OK" == ours.info.state.value
    assert theirs["tags"]["app"] == "openai-demo"
    assert theirs["tags"].get("mlflow.traceName") == "weather_agent"

    def shape(spans: list[Any]) -> list[tuple[str, str, Any, Any]]:
        return [(s["span_id"], s["span_type"], s["inputs"], s["outputs"]) for s in spans]

    mine = sorted(ours.data.spans, key=lambda s: (s.start_time_ns, s.span_id))
    remote = sorted(theirs["spans"], key=lambda s: (s["start_time_ns"], s["span_id"]))
    assert shape(remote) == shape(
        [
            {
                "span_id": s.span_id,
                "span_type": s.span_type,
                "inputs": s.inputs,
                "outputs": s.outputs,
            }
            for s in mine
        ]
    )
    assert [s["span_type"] for s in remote] == ["AGENT", "CHAT_MODEL", "TOOL", "CHAT_MODEL"]

    chats = [s for s in mine if s.span_type == "CHAT_MODEL"]
    expected_in = sum(s.attributes["gen_ai.usage.input_tokens"] for s in chats)
    expected_out = sum(s.attributes["gen_ai.usage.output_tokens"] for s in chats)
    usage = theirs["token_usage"]
    assert (usage["input_tokens"], usage["output_tokens"]) == (expected_in, expected_out)
