"""Replays of real Mistral traffic (../shared/cassettes) through the instrumented SDK.

Every recorded call (chat completions plain and streamed, embeddings of one text and of
several, sync and async, with prompt-cache usage) is sent again by the real mistralai
SDK (``*_async`` methods for recordings whose file name says async) to a loopback server
that answers with the recording (``cassette_server``: it serves every SDK version, httpx
or httpx2 alike, which VCR.py's patching does not). The span must agree with the
recorded response, read here from the recorded JSON / SSE text and not through
spanwise's extractors, and conform to the GenAI model. Skipped with the reason where
../shared is absent.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import semconv_check
from cassette_server import CassetteServer, load, request_json, response_body

pytestmark = pytest.mark.slow

SHARED = Path(__file__).resolve().parents[4] / "shared" / "cassettes"
DIRECTORY = SHARED / "openllmetry" / "mistralai"


def _cases() -> list[Any]:
    if not DIRECTORY.is_dir():
        return [
            pytest.param(
                None, marks=pytest.mark.skip(reason=f"{DIRECTORY} is absent: no recorded traffic")
            )
        ]
    return [
        pytest.param(path, id=str(path.relative_to(DIRECTORY)))
        for path in sorted(DIRECTORY.rglob("*.yaml"))
    ]


# -- what the recording says, read independently of spanwise ------------------------------


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
    usage = next(c["usage"] for c in reversed(chunks) if c.get("usage"))
    choices = [c["choices"][0] for c in chunks]
    message = {
        "role": "assistant",
        "content": "".join(c["delta"].get("content") or "" for c in choices),
    }
    finish = next(c["finish_reason"] for c in reversed(choices) if c["finish_reason"])
    choice = {"index": 0, "message": message, "finish_reason": finish}
    return {"id": chunks[0]["id"], "model": chunks[0]["model"], "choices": [choice], "usage": usage}


# -- replay -----------------------------------------------------------------------------------


def _call(client: Any, path: str, body: dict[str, Any], is_async: bool) -> Any:
    if path.endswith("/embeddings"):
        method = client.embeddings.create_async if is_async else client.embeddings.create
        return method(model=body["model"], inputs=body["input"])
    kwargs = {"model": body["model"], "messages": body["messages"]}
    if body.get("stream"):
        return client.chat.stream_async(**kwargs) if is_async else client.chat.stream(**kwargs)
    return client.chat.complete_async(**kwargs) if is_async else client.chat.complete(**kwargs)


def _replay_sync(client: Any, interactions: list[dict[str, Any]]) -> None:
    for interaction in interactions:
        path = urlsplit(interaction["request"]["uri"]).path
        body = request_json(interaction) or {}
        result = _call(client, path, body, is_async=False)
        if body.get("stream"):
            assert len(list(result)) > 1


async def _replay_async(client: Any, interactions: list[dict[str, Any]]) -> None:
    for interaction in interactions:
        path = urlsplit(interaction["request"]["uri"]).path
        body = request_json(interaction) or {}
        result = await _call(client, path, body, is_async=True)
        if body.get("stream"):
            assert len([event async for event in result]) > 1


# -- checks -----------------------------------------------------------------------------------


def _json(attrs: dict[str, Any], key: str) -> Any:
    value = attrs.get(key)
    assert isinstance(value, str), f"{key} is missing or not a JSON string: {value!r}"
    return json.loads(value)


def _check_usage(attrs: dict[str, Any], usage: dict[str, Any], sdk: Any) -> None:
    assert attrs.get("gen_ai.usage.input_tokens") == usage["prompt_tokens"]
    if "completion_tokens" in usage:
        assert attrs.get("gen_ai.usage.output_tokens") == usage["completion_tokens"]
    cached = (usage.get("prompt_tokens_details") or {}).get("cached_tokens")
    if sdk.models.UsageInfo.model_config.get("extra") != "allow":
        cached = None  # older SDKs drop the fields their model does not name
    assert attrs.get("gen_ai.usage.cache_read.input_tokens") == cached


def _check_chat(attrs: dict[str, Any], body: dict[str, Any], response: dict[str, Any]) -> None:
    assert attrs.get("gen_ai.request.stream") is (True if body.get("stream") else None)
    inputs = _json(attrs, "gen_ai.input.messages")
    assert inputs == [
        {"role": m["role"], "parts": [{"type": "text", "content": m["content"]}]}
        for m in body["messages"]
    ]
    (choice,) = response["choices"]
    assert list(attrs.get("gen_ai.response.finish_reasons") or ()) == [choice["finish_reason"]]
    assert _json(attrs, "gen_ai.output.messages") == [
        {
            "role": "assistant",
            "parts": [{"type": "text", "content": choice["message"]["content"]}],
            "finish_reason": choice["finish_reason"],  # "stop" in every recording
        }
    ]


@pytest.mark.parametrize("cassette", _cases())
def test_recorded_traffic(
    cassette: Path,
    sdk: Any,
    autolog: None,
    exporter: InMemorySpanExporter,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from spanwise.common._content import reset_content_settings

    # Content is compared: no environment may turn it off.
    monkeypatch.delenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", raising=False)
    reset_content_settings()
    interactions = load(cassette)
    with CassetteServer(interactions) as server:
        client = sdk.Mistral(api_key="test", server_url=server.base_url.removesuffix("/v1"))
        if "async" in cassette.name:
            asyncio.run(_replay_async(client, interactions))
        else:
            _replay_sync(client, interactions)
        assert server.unmatched == []
        assert server.pending == []
    spans: list[ReadableSpan] = list(exporter.get_finished_spans())
    assert len(spans) == len(interactions)
    for span, interaction in zip(spans, interactions, strict=True):
        attrs = dict(span.attributes or {})
        if semconv_check.available():
            semconv_check.check_attributes(attrs)
        body = request_json(interaction) or {}
        response = _recorded(interaction)
        embeddings = urlsplit(interaction["request"]["uri"]).path.endswith("/embeddings")
        operation = "embeddings" if embeddings else "chat"
        assert span.name == f"{operation} {body['model']}"
        assert span.status.status_code.name == "UNSET"
        assert attrs["gen_ai.operation.name"] == operation
        assert attrs["gen_ai.provider.name"] == "mistral_ai"
        assert attrs["gen_ai.request.model"] == body["model"]
        assert attrs["gen_ai.response.id"] == response["id"]
        assert attrs["gen_ai.response.model"] == response["model"]
        _check_usage(attrs, response["usage"], sdk)
        if embeddings:
            texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
            assert len(response["data"]) == len(texts)
            vector = response["data"][0]["embedding"]
            assert attrs["gen_ai.embeddings.dimension.count"] == len(vector)
        else:
            _check_chat(attrs, body, response)


def test_every_recording_is_replayed() -> None:
    """A parsing slip must not silently skip recordings: all 19 are chat or embeddings
    calls, so all are replayed."""
    if not DIRECTORY.is_dir():
        pytest.skip(f"{DIRECTORY} is absent: no recorded traffic")
    paths = sorted(DIRECTORY.rglob("*.yaml"))
    assert len(paths) >= 19
    for path in paths:
        for interaction in load(path):
            uri = urlsplit(interaction["request"]["uri"]).path
            assert uri.endswith(("/v1/chat/completions", "/v1/embeddings")), path
