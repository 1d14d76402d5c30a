"""Replays of real Gemini traffic (../shared/cassettes) through the instrumented SDK.

The OTel contrib recordings (Vertex AI, generate_content plain and streamed, sync and
async) and OpenLLMetry's (Gemini API, google-genai 1.52) are sent again by the real
google-genai SDK to a loopback server that answers with the recording. The span must
agree with the recorded response, read here from the recorded JSON / SSE text and not
through spanwise's extractors, and conform to the GenAI model. Skipped with the reason
where ../shared is absent.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import semconv_check
from cassette_server import CassetteServer, load, request_json, response_body
from fake_gemini import sdk_reads, vertex_client

pytestmark = pytest.mark.slow

SHARED = Path(__file__).resolve().parents[4] / "shared" / "cassettes"
DIRECTORIES = (
    SHARED / "otel-contrib" / "google-genai",
    SHARED / "openllmetry" / "google-generativeai",
)


def _cases() -> list[Any]:
    found = [
        pytest.param(path, id=str(path.relative_to(SHARED)))
        for directory in DIRECTORIES
        if directory.is_dir()
        for path in sorted(directory.rglob("*.yaml"))
    ]
    if not found:
        reason = f"{SHARED} has no Gemini recordings: no recorded traffic"
        return [pytest.param(None, marks=pytest.mark.skip(reason=reason))]
    return found


def _recorded(interaction: dict[str, Any]) -> dict[str, Any]:
    """The response; a stream's chunks added up (id, model, text, finish, usage)."""
    text = response_body(interaction["response"]).decode()
    if not text.lstrip().startswith("data:"):
        return json.loads(text)
    chunks = [json.loads(line[5:]) for line in text.splitlines() if line.startswith("data:")]
    candidates = [c["candidates"][0] for c in chunks]
    joined = "".join(p.get("text", "") for c in candidates for p in c["content"]["parts"])
    finish = next(c["finishReason"] for c in reversed(candidates) if c.get("finishReason"))
    candidate = {"content": {"role": "model", "parts": [{"text": joined}]}, "finishReason": finish}
    return {**chunks[-1], "responseId": chunks[0]["responseId"], "candidates": [candidate]}


async def _replay_async(client: Any, model: str, contents: Any, stream: bool) -> None:
    if stream:
        assert (
            len(
                [
                    c
                    async for c in await client.aio.models.generate_content_stream(
                        model=model, contents=contents
                    )
                ]
            )
            > 1
        )
    else:
        await client.aio.models.generate_content(model=model, contents=contents)


@pytest.mark.parametrize("cassette", _cases())
def test_recorded_traffic(
    cassette: Path, autolog: None, exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    from google import genai

    from spanwise.common._content import reset_content_settings

    monkeypatch.delenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", raising=False)
    reset_content_settings()
    interactions = load(cassette)
    vertex = "aiplatform" in interactions[0]["request"]["uri"]
    with CassetteServer(interactions) as server:
        base_url = server.base_url.removesuffix("/v1") + "/"
        if vertex:
            client = vertex_client(base_url)
        else:
            client = genai.Client(api_key="test", http_options={"base_url": base_url})
        for interaction in interactions:
            uri = interaction["request"]["uri"]
            model = uri.rpartition("/models/")[2].partition(":")[0]
            stream = ":streamGenerateContent" in uri
            contents = (request_json(interaction) or {})["contents"]
            if "async" in cassette.name:
                asyncio.run(_replay_async(client, model, contents, stream))
            elif stream:
                assert (
                    len(list(client.models.generate_content_stream(model=model, contents=contents)))
                    > 1
                )
            else:
                client.models.generate_content(model=model, contents=contents)
        assert server.unmatched == []
        assert server.pending == []
    spans = list(exporter.get_finished_spans())
    assert len(spans) == len(interactions)
    for span, interaction in zip(spans, interactions, strict=True):
        attrs = dict(span.attributes or {})
        if semconv_check.available():
            semconv_check.check_attributes(attrs)
        body = request_json(interaction) or {}
        response = _recorded(interaction)
        usage = response["usageMetadata"]
        assert span.name == f"generate_content {response['modelVersion']}"
        assert span.status.status_code.name == "UNSET"
        assert attrs["gen_ai.provider.name"] == ("gcp.vertex_ai" if vertex else "gcp.gemini")
        has_id = sdk_reads("GenerateContentResponse", "response_id")
        assert attrs.get("gen_ai.response.id") == (response["responseId"] if has_id else None)
        assert attrs["gen_ai.response.model"] == response["modelVersion"]
        assert attrs["gen_ai.usage.input_tokens"] == usage["promptTokenCount"]
        thoughts = usage.get("thoughtsTokenCount")
        if not sdk_reads("GenerateContentResponseUsageMetadata", "thoughts_token_count"):
            thoughts = None
        assert attrs.get("gen_ai.usage.reasoning.output_tokens") == thoughts
        assert attrs["gen_ai.usage.output_tokens"] == usage["candidatesTokenCount"] + (
            thoughts or 0
        )
        (candidate,) = response["candidates"]
        assert list(attrs["gen_ai.response.finish_reasons"]) == [candidate["finishReason"].lower()]
        assert json.loads(attrs["gen_ai.input.messages"]) == [
            {
                "role": c["role"],
                "parts": [{"type": "text", "content": p["text"]} for p in c["parts"]],
            }
            for c in body["contents"]
        ]
        text = "".join(p["text"] for p in candidate["content"]["parts"])
        assert json.loads(attrs["gen_ai.output.messages"]) == [
            {
                "role": "assistant",
                "parts": [{"type": "text", "content": text}],
                "finish_reason": "stop",
            }
        ]
