"""Replays of real Anthropic traffic (../shared/cassettes) through the instrumented SDK.

Every recorded Messages API call (plain, ``stream=True``, stream-helper recordings, tools,
tool results, thinking, prompt caching, images, structured outputs) is sent again by the
real anthropic SDK (``AsyncAnthropic`` for recordings whose file name says async,
``Anthropic`` otherwise) to a loopback server that answers with the recording. The span
must agree with the recorded response, read here from the recorded JSON / SSE text and
not through spanwise's extractors, and conform to the GenAI model. The recordings of
Bedrock (``/model/{id}/invoke``, SigV4) and of the legacy ``/v1/complete`` API (gone
from the SDK since 1.0.0) are not Messages API calls of ``anthropic.Anthropic`` and are
left out; ``test_only_bedrock_and_legacy_completions_are_left_out`` holds that to be all.
Skipped with the reason where ../shared is absent.
"""

from __future__ import annotations

import asyncio
import inspect
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import anthropic
import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import semconv_check
from cassette_server import CassetteServer, load, request_json, response_body

pytestmark = pytest.mark.slow

SHARED = Path(__file__).resolve().parents[4] / "shared" / "cassettes"
DIRECTORY = SHARED / "openllmetry" / "anthropic"
# The recorded base64 images (~134 KB) exceed the default content bound; raise it so the
# blob parts can be compared whole.
MAX_CONTENT_BYTES = str(4 * 1024 * 1024)
CACHE_KEYS = {
    "cache_read_input_tokens": "gen_ai.usage.cache_read.input_tokens",
    "cache_creation_input_tokens": "gen_ai.usage.cache_creation.input_tokens",
}


def _is_messages_call(interaction: dict[str, Any]) -> bool:
    request = interaction["request"]
    body = request_json(interaction)
    return (
        request["method"] == "POST"
        and urlsplit(request["uri"]).path.endswith("/v1/messages")
        and body is not None
        and "model" in body
    )


def _usable(interactions: list[dict[str, Any]]) -> bool:
    return bool(interactions) and all(_is_messages_call(i) for i in interactions)


def _partition() -> tuple[list[Path], list[Path]]:
    usable, excluded = [], []
    for path in sorted(DIRECTORY.rglob("*.yaml")):
        (usable if _usable(load(path)) else excluded).append(path)
    return usable, excluded


def _cases() -> list[Any]:
    if not DIRECTORY.is_dir():
        return [
            pytest.param(
                None, marks=pytest.mark.skip(reason=f"{DIRECTORY} is absent: no recorded traffic")
            )
        ]
    usable, _ = _partition()
    return [pytest.param(path, id=str(path.relative_to(DIRECTORY))) for path in usable]


# -- what the recording says, read independently of spanwise ------------------------------


def _sse_events(text: str) -> list[dict[str, Any]]:
    events = []
    for line in text.splitlines():
        if line.startswith("data:") and line[5:].strip():
            events.append(json.loads(line[5:]))
    return events


def _ints(usage: dict[str, Any] | None) -> dict[str, int]:
    return {k: v for k, v in (usage or {}).items() if isinstance(v, int)}


def _message_from_stream(events: list[dict[str, Any]]) -> dict[str, Any]:
    """The message a recorded stream adds up to: id/model from ``message_start``, stop
    reason from ``message_delta``, usage from ``message_start`` updated by the last
    ``message_delta``, content blocks assembled from their deltas."""
    message: dict[str, Any] = {}
    blocks: dict[int, dict[str, Any]] = {}
    tool_json: dict[int, str] = {}
    usage: dict[str, int] = {}
    for event in events:
        kind = event.get("type")
        if kind == "message_start":
            start = event["message"]
            message.update(id=start["id"], model=start["model"], role=start.get("role"))
            usage.update(_ints(start.get("usage")))
        elif kind == "content_block_start":
            blocks[event["index"]] = dict(event["content_block"])
        elif kind == "content_block_delta":
            block, delta = blocks[event["index"]], event["delta"]
            if delta["type"] == "text_delta":
                block["text"] = block.get("text", "") + delta["text"]
            elif delta["type"] == "thinking_delta":
                block["thinking"] = block.get("thinking", "") + delta["thinking"]
            elif delta["type"] == "input_json_delta":
                tool_json[event["index"]] = (
                    tool_json.get(event["index"], "") + delta["partial_json"]
                )
        elif kind == "message_delta":
            message["stop_reason"] = event["delta"].get("stop_reason")
            usage.update(_ints(event.get("usage")))
    for index, raw in tool_json.items():
        if raw.strip():
            blocks[index]["input"] = json.loads(raw)
    message["content"] = [blocks[i] for i in sorted(blocks)]
    message["usage"] = usage
    return message


def _expected_parts(message: dict[str, Any]) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    for block in message["content"]:
        if block["type"] == "text":
            parts.append({"type": "text", "content": block["text"]})
        elif block["type"] == "tool_use":
            parts.append(
                {
                    "type": "tool_call",
                    "id": block["id"],
                    "name": block["name"],
                    "arguments": block["input"],
                }
            )
        elif block["type"] == "thinking":
            parts.append({"type": "reasoning", "content": block["thinking"]})
        else:  # nothing else is recorded; fail loudly if a new recording brings one
            raise AssertionError(f"unexpected recorded block {block['type']}")
    return parts


def _recorded(interaction: dict[str, Any]) -> dict[str, Any]:
    """Status, and for a success the response message (a stream assembled)."""
    response = interaction["response"]
    status = int(response["status"]["code"])
    text = response_body(response).decode(errors="replace")
    if status >= 400:
        return {"status": status}
    if text.lstrip().startswith(("event:", "data:")):
        return {
            "status": status,
            "stream": True,
            "message": _message_from_stream(_sse_events(text)),
        }
    return {"status": status, "stream": False, "message": json.loads(text)}


# -- replay -----------------------------------------------------------------------------------


def _kwargs(body: dict[str, Any]) -> dict[str, Any]:
    """Parameters the installed SDK's ``create`` takes as arguments; the rest (temperature,
    top_p, top_k in recent SDKs, output_format...) in ``extra_body``."""
    known = set(inspect.signature(anthropic.resources.messages.Messages.create).parameters)
    kwargs = {k: v for k, v in body.items() if k in known}
    extra = {k: v for k, v in body.items() if k not in known}
    if extra:
        kwargs["extra_body"] = extra
    return kwargs


def _replay_sync(base_url: str, interactions: list[dict[str, Any]]) -> list[Exception | None]:
    client = anthropic.Anthropic(base_url=base_url, api_key="test", max_retries=0)
    errors: list[Exception | None] = []
    for interaction in interactions:
        body = request_json(interaction) or {}
        try:
            result = client.messages.create(**_kwargs(body))
            if body.get("stream"):
                events = list(result)
                assert events and events[-1].type == "message_stop"
            errors.append(None)
        except anthropic.APIStatusError as exc:
            errors.append(exc)
    return errors


async def _replay_async(
    base_url: str, interactions: list[dict[str, Any]]
) -> list[Exception | None]:
    client = anthropic.AsyncAnthropic(base_url=base_url, api_key="test", max_retries=0)
    errors: list[Exception | None] = []
    try:
        for interaction in interactions:
            body = request_json(interaction) or {}
            try:
                result = await client.messages.create(**_kwargs(body))
                if body.get("stream"):
                    events = [event async for event in result]
                    assert events and events[-1].type == "message_stop"
                errors.append(None)
            except anthropic.APIStatusError as exc:
                errors.append(exc)
    finally:
        await client.close()
    return errors


# -- checks -----------------------------------------------------------------------------------


def _json(attrs: dict[str, Any], key: str) -> Any:
    value = attrs.get(key)
    assert isinstance(value, str), f"{key} is missing or not a JSON string: {value!r}"
    return json.loads(value)


def _check_request(attrs: dict[str, Any], body: dict[str, Any]) -> None:
    assert attrs.get("gen_ai.request.model") == body["model"]
    if body.get("stream"):
        assert attrs.get("gen_ai.request.stream") is True
    if body.get("system"):
        assert "gen_ai.system_instructions" in attrs
    inputs = _json(attrs, "gen_ai.input.messages")
    sent = [part for message in inputs for part in message["parts"]]
    for message in body["messages"]:
        content = message["content"]
        for block in content if isinstance(content, list) else []:
            if block["type"] == "tool_result":
                assert any(
                    p["type"] == "tool_call_response" and p.get("id") == block["tool_use_id"]
                    for p in sent
                ), f"no tool_call_response part for {block['tool_use_id']}"
            elif block["type"] == "image":
                source = block["source"]
                assert source["type"] == "base64"
                assert {
                    "type": "blob",
                    "modality": "image",
                    "content": source["data"],
                    "mime_type": source["media_type"],
                } in sent


def _check_response(attrs: dict[str, Any], message: dict[str, Any]) -> None:
    assert attrs.get("gen_ai.response.id") == message["id"]
    assert attrs.get("gen_ai.response.model") == message["model"]
    assert list(attrs.get("gen_ai.response.finish_reasons") or ()) == [message["stop_reason"]]
    usage = _ints(message.get("usage"))
    assert attrs.get("gen_ai.usage.output_tokens") == usage["output_tokens"]
    assert attrs.get("gen_ai.usage.input_tokens") == usage["input_tokens"] + sum(
        usage.get(key, 0) for key in CACHE_KEYS
    )
    for key, attribute in CACHE_KEYS.items():
        if key in usage:
            assert attrs.get(attribute) == usage[key], attribute
    (output,) = _json(attrs, "gen_ai.output.messages")
    expected = _expected_parts(message)
    got = output["parts"]
    # The parts, kind by kind, then whole and in order.
    text = "".join(p["content"] for p in expected if p["type"] == "text")
    assert "".join(p.get("content", "") for p in got if p["type"] == "text") == text
    for kind in ("tool_call", "reasoning"):
        assert [p for p in got if p["type"] == kind] == [p for p in expected if p["type"] == kind]
    assert got == expected


def _chat_spans(exporter: InMemorySpanExporter) -> list[ReadableSpan]:
    return [s for s in exporter.get_finished_spans() if s.name.startswith("chat ")]


@pytest.mark.parametrize("cassette", _cases())
def test_recorded_traffic(
    cassette: Path,
    autolog: None,
    exporter: InMemorySpanExporter,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from spanwise.common._content import reset_content_settings

    monkeypatch.setenv("SPANWISE_MAX_CONTENT_BYTES", MAX_CONTENT_BYTES)
    # Content is compared: no environment may turn it off or cut it shorter.
    for name in (
        "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT",
        "OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT",
        "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT",
    ):
        monkeypatch.delenv(name, raising=False)
    reset_content_settings()
    interactions = load(cassette)
    with CassetteServer(interactions) as server:
        base_url = server.base_url.removesuffix("/v1")
        if "async" in cassette.name:
            errors = asyncio.run(_replay_async(base_url, interactions))
        else:
            errors = _replay_sync(base_url, interactions)
        assert server.unmatched == []
        assert server.pending == []
    spans = _chat_spans(exporter)
    assert len(spans) == len(interactions)
    for span, interaction, error in zip(spans, interactions, errors, strict=True):
        attrs = dict(span.attributes or {})
        if semconv_check.available():
            semconv_check.check_attributes(attrs)
        body = request_json(interaction) or {}
        assert span.name == f"chat {body['model']}"
        recorded = _recorded(interaction)
        if recorded["status"] >= 400:
            assert isinstance(error, anthropic.APIStatusError)
            assert error.status_code == recorded["status"]
            assert span.status.status_code.name == "ERROR"
            assert "error.type" in attrs
            continue
        assert error is None
        assert span.status.status_code.name == "UNSET"
        assert recorded["stream"] == bool(body.get("stream"))
        _check_request(attrs, body)
        _check_response(attrs, recorded["message"])


def test_only_bedrock_and_legacy_completions_are_left_out() -> None:
    """A parsing slip must not silently skip the recordings: all but the Bedrock and the
    /v1/complete ones are replayed."""
    if not DIRECTORY.is_dir():
        pytest.skip(f"{DIRECTORY} is absent: no recorded traffic")
    usable, excluded = _partition()
    assert len(usable) >= 60
    for path in excluded:
        for interaction in load(path):
            uri = urlsplit(interaction["request"]["uri"])
            bedrock = uri.hostname is not None and uri.hostname.startswith("bedrock-runtime.")
            assert bedrock or uri.path.endswith("/v1/complete"), f"{path} left out"
