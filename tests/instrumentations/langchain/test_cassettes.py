"""Replays of real OpenAI traffic recorded by OpenLLMetry's LangChain tests
(../shared/cassettes/openllmetry/langchain), sent again through ChatOpenAI.

Every recorded Chat Completions request is rebuilt as LangChain messages (and bound
tools) and sent by ChatOpenAI, with spanwise's OpenAI instrumentor on too, to a loopback
server that answers with the recording. Each call must be exactly one model span,
LangChain's, agreeing with the recorded response (read here from the recorded JSON, not
through spanwise's extractors), and conform to the GenAI model. Skipped with the reason
where ../shared is absent.
"""

from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import convert_to_messages
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import semconv_check
from cassette_server import CassetteServer, load, request_json, response_body

pytestmark = pytest.mark.slow

DIRECTORY = (
    Path(__file__).resolve().parents[4] / "shared" / "cassettes" / "openllmetry" / "langchain"
)


# langchain-openai keeps the response id in the message since 0.3.
IDS = tuple(int(p) for p in version("langchain-openai").split(".")[:2]) >= (0, 3)


def _chat_only(path: Path) -> bool:
    interactions = load(path)
    return bool(interactions) and all(
        i["request"]["uri"].endswith("/chat/completions")
        and not (request_json(i) or {}).get("stream")
        for i in interactions
    )


def _cases() -> list[Any]:
    if not DIRECTORY.is_dir():
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"{DIRECTORY} is absent"))]
    paths = sorted(p for p in DIRECTORY.rglob("*.yaml") if "with_events" not in p.name)
    return [pytest.param(p, id=p.stem) for p in paths if _chat_only(p)]


def _model(body: dict[str, Any], base_url: str) -> Any:
    from langchain_openai import ChatOpenAI

    params = {k: body[k] for k in ("temperature", "max_tokens", "top_p", "seed") if k in body}
    model: Any = ChatOpenAI(
        model=body["model"],
        base_url=base_url,
        api_key="sk-replay",
        max_retries=0,
        **params,  # pyright: ignore[reportArgumentType]
    )
    if body.get("tools"):
        model = model.bind_tools(body["tools"])
    return model


@pytest.mark.parametrize("cassette", _cases())
def test_recorded_traffic(
    cassette: Path, with_openai: None, exporter: InMemorySpanExporter
) -> None:
    interactions = load(cassette)
    with CassetteServer(interactions) as server:
        for interaction in interactions:
            body = request_json(interaction) or {}
            _model(body, server.base_url).invoke(convert_to_messages(body["messages"]))
        assert server.unmatched == []
    spans = exporter.get_finished_spans()
    assert len(spans) == len(interactions)
    for span, interaction in zip(spans, interactions, strict=True):
        body = request_json(interaction) or {}
        recorded = json.loads(response_body(interaction["response"]))
        attrs = dict(span.attributes or {})
        assert span.instrumentation_scope.name == "spanwise.instrumentations.langchain"  # type: ignore[union-attr]
        assert span.name == f"chat {body['model']}"
        assert span.parent is None
        assert attrs["gen_ai.provider.name"] == "openai"
        assert attrs.get("gen_ai.response.id") == (recorded["id"] if IDS else None)
        assert attrs["gen_ai.response.model"] == recorded["model"]
        assert attrs["gen_ai.usage.input_tokens"] == recorded["usage"]["prompt_tokens"]
        assert attrs["gen_ai.usage.output_tokens"] == recorded["usage"]["completion_tokens"]
        reasons = [c["finish_reason"] for c in recorded["choices"]]
        assert list(attrs["gen_ai.response.finish_reasons"]) == reasons[:1]  # type: ignore[arg-type]
        inputs = json.loads(attrs["gen_ai.input.messages"])  # type: ignore[arg-type]
        assert [m["role"] for m in inputs] == [m["role"] for m in body["messages"]]
        output = json.loads(attrs["gen_ai.output.messages"])[0]  # type: ignore[arg-type]
        message = recorded["choices"][0]["message"]
        calls = [p for p in output["parts"] if p["type"] == "tool_call"]
        assert [c["id"] for c in calls] == [t["id"] for t in message.get("tool_calls") or []]
        if message.get("content"):
            assert output["parts"][0] == {"type": "text", "content": message["content"]}
        if semconv_check.available():
            semconv_check.check_attributes(attrs)
