"""Translation in, golden tests on spans the peers' real instrumentors produce.

OpenInference and OpenLLMetry instrument the real openai SDK (against the local fake
server, in a child process of the peers' venv: SPANWISE_PEERS_PYTHON, set by `make test`)
and export to a private provider; their spans, as records, become spanwise ``Span``s here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from spanwise.model._translate import build_trace

from _support import peers_python
from fake_openai import FakeOpenAI

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Weather",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }
]
ASKED = [
    {"role": "system", "parts": [{"type": "text", "content": "Be brief."}]},
    {"role": "user", "parts": [{"type": "text", "content": "Weather in Paris?"}]},
]
TOOL_CALL = {
    "type": "tool_call",
    "id": "call_demo",
    "name": "get_weather",
    "arguments": {"city": "Paris"},
}


@pytest.fixture(scope="module")
def server() -> Iterator[FakeOpenAI]:
    fake = FakeOpenAI().start()
    yield fake
    fake.stop()


# Run in a child process of the peers' venv (the peers are not installed in the dev venv,
# and OpenLLMetry's uninstrument() leaves wrappers behind, seen with 0.62.4).
_PEER_RUN = """
import json, sys
import openai
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from spanwise.model._records import record_from_otel

module, name, base_url, tools = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
instrumentor = getattr(__import__(module, fromlist=[name]), name)()
exporter = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(exporter))
instrumentor.instrument(tracer_provider=provider)
client = openai.OpenAI(base_url=base_url, api_key="sk-test", max_retries=0)
client.chat.completions.create(
    model="gpt-4o-mini",
    messages=[
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Weather in Paris?"},
    ],
    tools=tools,
    temperature=0.2,
)
call = {"id": "call_demo", "type": "function",
        "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}
client.chat.completions.create(
    model="gpt-4o-mini",
    messages=[
        {"role": "user", "content": "Weather in Paris?"},
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "call_demo", "content": "sunny"},
    ],
)
client.embeddings.create(model="text-embedding-3-small", input=["a", "b"])
print(json.dumps([record_from_otel(s) for s in exporter.get_finished_spans()]))
"""


def _spans(module: str, server: FakeOpenAI) -> list[Any]:
    import subprocess

    python = peers_python()
    done = subprocess.run(
        [
            python,
            "-c",
            _PEER_RUN,
            module,
            "OpenAIInstrumentor",
            server.base_url,
            json.dumps(TOOLS),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    records = json.loads(done.stdout.strip().splitlines()[-1])
    spans = [build_trace([record]).data.spans[0] for record in records]
    assert len(spans) == 3
    return spans


def _golden(span: Any) -> dict[str, Any]:
    a = span.attributes
    return {
        "span_type": span.span_type,
        "inputs": span.inputs,
        "outputs": span.outputs,
        "usage": (a.get("gen_ai.usage.input_tokens"), a.get("gen_ai.usage.output_tokens")),
        "model": (a.get("gen_ai.request.model"), a.get("gen_ai.response.model")),
        "provider": a.get("gen_ai.provider.name"),
        "operation": a.get("gen_ai.operation.name"),
    }


def _check_chat(first: Any, second: Any) -> None:
    # The conventions' messages land in the GenAI attributes; the span's inputs/outputs
    # are MLflow's (Chat Completions) shape, checked below.
    messages = {
        "inputs": first.attributes["gen_ai.input.messages"],
        "outputs": first.attributes["gen_ai.output.messages"],
    }
    assert _golden(first) | messages == {
        "span_type": "CHAT_MODEL",
        "inputs": ASKED,
        "outputs": [
            {
                "role": "assistant",
                "parts": [TOOL_CALL],
                "finish_reason": messages["outputs"][0]["finish_reason"],
            }
        ],
        "usage": (12, 9),
        "model": ("gpt-4o-mini", "gpt-4o-mini-2024-07-18"),
        "provider": "openai",
        "operation": "chat",
    }
    assert messages["outputs"][0]["finish_reason"] in ("tool_calls", "tool_call")
    assert first.attributes["gen_ai.request.temperature"] == 0.2
    assert (
        json.loads(json.dumps(first.attributes["gen_ai.tool.definitions"]))[0]["name"]
        == "get_weather"
    )
    call = {
        "id": "call_demo",
        "type": "function",
        "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
    }
    assert first.inputs["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Weather in Paris?"},
    ]
    assert (first.inputs["model"], first.inputs["temperature"]) == ("gpt-4o-mini", 0.2)
    assert first.inputs["tools"][0]["function"]["name"] == "get_weather"
    assert first.outputs["choices"][0]["message"]["tool_calls"] == [call]
    assert second.inputs["messages"] == [
        {"role": "user", "content": "Weather in Paris?"},
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "content": "sunny", "tool_call_id": "call_demo"},
    ]
    assert second.outputs["choices"] == [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "Here is what I found: sunny"},
            "finish_reason": "stop",
        }
    ]
    assert second.attributes["gen_ai.input.messages"] == [
        {"role": "user", "parts": [{"type": "text", "content": "Weather in Paris?"}]},
        {"role": "assistant", "parts": [TOOL_CALL]},
        {
            "role": "tool",
            "parts": [{"type": "tool_call_response", "id": "call_demo", "response": "sunny"}],
        },
    ]
    assert second.attributes["gen_ai.output.messages"] == [
        {
            "role": "assistant",
            "parts": [{"type": "text", "content": "Here is what I found: sunny"}],
            "finish_reason": "stop",
        }
    ]


def test_openinference_spans(server: FakeOpenAI) -> None:
    first, second, embed = _spans("openinference.instrumentation.openai", server)
    _check_chat(first, second)
    # Nothing held twice: the raw request/response (input.value/output.value) and the
    # flattened message keys are gone once read as messages.
    for span in (first, second):
        assert not [k for k in span.attributes if k.startswith(("llm.", "input.", "output."))]
        assert "openinference.span.kind" not in span.attributes
    assert first.attributes["gen_ai.usage.cache_read.input_tokens"] == 4
    assert first.attributes["gen_ai.usage.reasoning.output_tokens"] == 2
    assert _golden(embed) | {"outputs": None} == {
        "span_type": "EMBEDDING",
        "inputs": ["a", "b"],
        "outputs": None,
        "usage": (5, None),
        "model": ("text-embedding-3-small", "text-embedding-3-small"),
        "provider": "openai",
        "operation": "embeddings",
    }
    assert not [k for k in embed.attributes if "vector" in k]


def test_openllmetry_spans(server: FakeOpenAI) -> None:
    first, second, embed = _spans("opentelemetry.instrumentation.openai", server)
    _check_chat(first, second)
    assert _golden(embed)["span_type"] == "EMBEDDING"
    assert _golden(embed)["usage"] == (5, None)
