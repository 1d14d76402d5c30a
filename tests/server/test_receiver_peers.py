"""End to end: a peer instrumentor's spans (OpenInference, OpenLLMetry), exported over
OTLP by an app that never imports spanwise (run by the peers' venv: SPANWISE_PEERS_PYTHON,
set by `make test`), into a real ``spanwise server`` process; ``search_traces`` on its
store gives the right span types and I/O."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import spanwise

from _support import clean_env, peers_python, run_child
from fake_openai import FakeOpenAI

pytestmark = pytest.mark.slow

APP = """
import sys
import openai
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.{protocol}.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

provider = TracerProvider()
provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=sys.argv[2])))
trace.set_tracer_provider(provider)
module = __import__(sys.argv[1], fromlist=["OpenAIInstrumentor"])
module.OpenAIInstrumentor().instrument(tracer_provider=provider)
client = openai.OpenAI(base_url=sys.argv[3], api_key="sk-test", max_retries=0)
tools = [{{"type": "function", "function": {{"name": "get_weather",
          "parameters": {{"type": "object", "properties": {{"city": {{"type": "string"}}}}}}}}}}]
with trace.get_tracer("app").start_as_current_span("agent"):
    client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{{"role": "user", "content": "Weather in Paris?"}}],
        tools=tools,
    )
provider.shutdown()
"""


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, str, Path]]:
    db = tmp_path / "received.db"
    command = Path(sys.executable).parent / "spanwise"
    process = subprocess.Popen(
        [str(command), "server", "--http-port", "0", "--grpc-port", "0", "--tracking-uri", str(db)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        ready = process.stdout.readline()
        http = ready.split("OTLP/HTTP ")[1].split(",")[0].strip()
        grpc = "http://" + ready.split("OTLP/gRPC ")[1].split(" ")[0].strip().rstrip(",")
        yield http, grpc, db
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI().start()
    yield server
    server.stop()


@pytest.mark.parametrize(
    ("module", "protocol"),
    [
        ("openinference.instrumentation.openai", "http"),
        ("opentelemetry.instrumentation.openai", "grpc"),
    ],
)
def test_peer_spans_through_spanwise_server(
    server: tuple[str, str, Path], fake: FakeOpenAI, module: str, protocol: str
) -> None:
    http, grpc, db = server
    run_child(
        [
            peers_python(),
            "-c",
            APP.format(protocol=protocol),
            module,
            http if protocol == "http" else grpc,
            fake.base_url,
        ],
        env=clean_env(),
    )
    spanwise.set_tracking_uri(str(db))
    traces: Any = spanwise.search_traces(
        filter_string="span.type = 'CHAT_MODEL'", return_type="list"
    )
    assert len(traces) == 1
    spans = {s.name: s for s in traces[0].data.spans}
    assert set(spans) >= {"agent"} and len(spans) == 2
    (llm,) = [s for s in spans.values() if s.name != "agent"]
    assert llm.span_type == "CHAT_MODEL"
    assert llm.attributes["gen_ai.input.messages"] == [
        {"role": "user", "parts": [{"type": "text", "content": "Weather in Paris?"}]}
    ]
    assert llm.attributes["gen_ai.output.messages"][0]["parts"][0]["name"] == "get_weather"
    # The model span's inputs/outputs: MLflow's (Chat Completions) shape.
    assert llm.inputs["messages"] == [{"role": "user", "content": "Weather in Paris?"}]
    (call,) = llm.outputs["choices"][0]["message"]["tool_calls"]
    assert call["function"]["name"] == "get_weather"
    assert llm.attributes["gen_ai.usage.input_tokens"] == 12
    assert traces[0].data.root_span is not None and traces[0].data.root_span.name == "agent"
