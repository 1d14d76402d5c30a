"""Replays of real Groq traffic (../shared/cassettes) through the instrumented SDK.

Every recorded call (chat completions plain and streamed, sync and async) is sent again
by the real groq SDK (``AsyncGroq`` for recordings whose file name says async) to a
loopback server that answers with the recording (``cassette_server``). The span must
agree with the recorded response, read here from the recorded JSON / SSE text and not
through spanwise's extractors (a stream's usage from its final chunk's ``x_groq``), and
conform to the GenAI model. Skipped with the reason where ../shared is absent.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import groq
import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import semconv_check
from cassette_server import CassetteServer, load, request_json, response_body

pytestmark = pytest.mark.slow

SHARED = Path(__file__).resolve().parents[4] / "shared" / "cassettes"
DIRECTORY = SHARED / "openllmetry" / "groq"


def _cases() -> list[Any]:
    if not DIRECTORY.is_dir():
        return [
            pytest.param(
                None, marks=pytest.mark.skip(reason=f"{DIRECTORY} is absent: no recorded traffic")
            )
        ]
    return [pytest.param(path, id=path.name) for path in sorted(DIRECTORY.rglob("*.yaml"))]


def _recorded(interaction: dict[str, Any]) -> dict[str, Any]:
    """The response; a stream's chunks added up (id, model, text, finish, usage)."""
    text = response_body(interaction["response"]).decode()
    if not text.lstrip().startswith("data:"):
        return json.loads(text)
    chunks = [
        json.loads(line[5:])
        for line in text.splitlines()
        if line.startswith("data:") and line[5:].strip() not in ("", "[DONE]")
    ]
    usage = next(c["x_groq"]["usage"] for c in reversed(chunks) if "usage" in c.get("x_groq", {}))
    choices = [c["choices"][0] for c in chunks]
    message = {
        "role": "assistant",
        "content": "".join(c["delta"].get("content") or "" for c in choices),
    }
    finish = next(c["finish_reason"] for c in reversed(choices) if c["finish_reason"])
    choice = {"index": 0, "message": message, "finish_reason": finish}
    return {"id": chunks[0]["id"], "model": chunks[0]["model"], "choices": [choice], "usage": usage}


def _replay_sync(client: Any, interactions: list[dict[str, Any]]) -> None:
    for interaction in interactions:
        body = request_json(interaction) or {}
        result = client.chat.completions.create(**body)
        if body.get("stream"):
            assert len(list(result)) > 1


async def _replay_async(client: Any, interactions: list[dict[str, Any]]) -> None:
    for interaction in interactions:
        body = request_json(interaction) or {}
        result = await client.chat.completions.create(**body)
        if body.get("stream"):
            assert len([chunk async for chunk in result]) > 1


def _json(attrs: dict[str, Any], key: str) -> Any:
    value = attrs.get(key)
    assert isinstance(value, str), f"{key} is missing or not a JSON string: {value!r}"
    return json.loads(value)


def _check(span: ReadableSpan, body: dict[str, Any], response: dict[str, Any]) -> None:
    attrs = dict(span.attributes or {})
    if semconv_check.available():
        semconv_check.check_attributes(attrs)
    assert span.name == f"chat {body['model']}"
    assert span.status.status_code.name == "UNSET"
    assert attrs["gen_ai.operation.name"] == "chat"
    assert attrs["gen_ai.provider.name"] == "groq"
    assert attrs["gen_ai.request.model"] == body["model"]
    assert attrs.get("gen_ai.request.stream") is (True if body.get("stream") else None)
    assert attrs["gen_ai.response.id"] == response["id"]
    assert attrs["gen_ai.response.model"] == response["model"]
    assert attrs["gen_ai.usage.input_tokens"] == response["usage"]["prompt_tokens"]
    assert attrs["gen_ai.usage.output_tokens"] == response["usage"]["completion_tokens"]
    assert _json(attrs, "gen_ai.input.messages") == [
        {"role": m["role"], "parts": [{"type": "text", "content": m["content"]}]}
        for m in body["messages"]
    ]
    (choice,) = response["choices"]
    assert list(attrs["gen_ai.response.finish_reasons"]) == [choice["finish_reason"]]  # type: ignore[arg-type]
    assert _json(attrs, "gen_ai.output.messages") == [
        {
            "role": "assistant",
            "parts": [{"type": "text", "content": choice["message"]["content"]}],
            "finish_reason": choice["finish_reason"],
        }
    ]


@pytest.mark.parametrize("cassette", _cases())
def test_recorded_traffic(
    cassette: Path, autolog: None, exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    from spanwise.common._content import reset_content_settings

    # Content is compared: no environment may turn it off.
    monkeypatch.delenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", raising=False)
    reset_content_settings()
    interactions = load(cassette)
    with CassetteServer(interactions) as server:
        root = server.base_url.removesuffix("/v1")  # the SDK adds /openai/v1
        if "async" in cassette.name:
            client: Any = groq.AsyncGroq(api_key="test", base_url=root, max_retries=0)
            asyncio.run(_replay_async(client, interactions))
        else:
            client = groq.Groq(api_key="test", base_url=root, max_retries=0)
            _replay_sync(client, interactions)
        assert server.unmatched == []
        assert server.pending == []
    spans = list(exporter.get_finished_spans())
    assert len(spans) == len(interactions)
    for span, interaction in zip(spans, interactions, strict=True):
        _check(span, request_json(interaction) or {}, _recorded(interaction))


def test_every_recording_is_replayed() -> None:
    """A parsing slip must not silently skip recordings: all are chat completions."""
    if not DIRECTORY.is_dir():
        pytest.skip(f"{DIRECTORY} is absent: no recorded traffic")
    paths = sorted(DIRECTORY.rglob("*.yaml"))
    assert len(paths) >= 9
    for path in paths:
        for interaction in load(path):
            assert urlsplit(interaction["request"]["uri"]).path == "/openai/v1/chat/completions"
