"""Replays of real Bedrock traffic (OpenLLMetry's recordings in ../shared/cassettes)
through the instrumented boto3 stack.

Every recorded call (converse, converse_stream, invoke_model, invoke_model_with_response_
stream; Anthropic, Nova, Titan, Llama, Cohere, AI21, an imported model; guardrails,
prompt caching, cross-region profiles and ARNs) is sent again by the real boto3 client
to a loopback server that answers with the recording (``cassette_server``, matching on
method and path; the recorded auth headers are ignored, the credentials are fakes).
The span must agree with the recorded response, read here from the recorded JSON, the
decoded event stream and Bedrock's token headers, not through spanwise's extractors,
and conform to the GenAI model. Skipped with the reason where ../shared is absent.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import boto3
import pytest
from botocore.eventstream import EventStreamBuffer
from botocore.exceptions import ParamValidationError
from botocore.validate import validate_parameters
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import semconv_check
from cassette_server import CassetteServer, load, response_body

pytestmark = pytest.mark.slow

SHARED = Path(__file__).resolve().parents[4] / "shared" / "cassettes"
DIRECTORY = SHARED / "openllmetry" / "bedrock"
_METRICS = "amazon-bedrock-invocationMetrics"
OPERATIONS = {
    "converse": ("converse", "chat"),
    "converse-stream": ("converse_stream", "chat"),
    "invoke": ("invoke_model", None),
    "invoke-with-response-stream": ("invoke_model_with_response_stream", None),
}


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


def _target(interaction: dict[str, Any]) -> tuple[str, str, bytes]:
    """(model id, operation path segment, request body) of a recorded request."""
    path = urlsplit(interaction["request"]["uri"]).path
    model, _, operation = unquote(path.removeprefix("/model/")).rpartition("/")
    body = interaction["request"]["body"]
    return model, operation, body if isinstance(body, bytes) else str(body).encode()


def _events(data: bytes) -> list[dict[str, Any]]:
    """A recorded event stream, decoded: each event's type and JSON payload (an
    invoke stream's chunk bytes decoded too)."""
    buffer = EventStreamBuffer()
    buffer.add_data(data)
    out: list[dict[str, Any]] = []
    for message in buffer:
        payload = json.loads(message.payload)
        if "bytes" in payload:
            payload = json.loads(base64.b64decode(payload["bytes"]))
        out.append({"type": message.headers.get(":event-type"), "payload": payload})
    return out


def _arguments(client: Any, interaction: dict[str, Any]) -> dict[str, Any]:
    """The boto3 arguments of a recorded request; skips (with the reason) a recording
    this botocore's service model cannot express (guardrails, documents... came later)."""
    model, operation, body = _target(interaction)
    if not operation.startswith("converse"):
        return {"modelId": model, "body": body}
    arguments = {"modelId": model, **json.loads(body)}
    name = client.meta.method_to_api_mapping[OPERATIONS[operation][0]]
    shape = client.meta.service_model.operation_model(name).input_shape
    try:
        validate_parameters(arguments, shape)
    except ParamValidationError as exc:
        import botocore

        pytest.skip(f"botocore {botocore.__version__} cannot send this recording: {exc}")
    return arguments


def _replay(client: Any, interaction: dict[str, Any]) -> None:
    _, operation, _ = _target(interaction)
    response = getattr(client, OPERATIONS[operation][0])(**_arguments(client, interaction))
    if operation == "converse-stream":
        assert len(list(response["stream"])) > 2
    elif operation == "invoke-with-response-stream":
        assert len(list(response["body"])) >= 1
    elif operation == "invoke":
        # The caller still reads the recorded bytes.
        assert response["body"].read() == response_body(interaction["response"])


def _header(interaction: dict[str, Any], name: str) -> int | None:
    for key, values in (interaction["response"].get("headers") or {}).items():
        if key.lower() == name:
            return int(values[0])
    return None


def _expected_usage(interaction: dict[str, Any]) -> tuple[int | None, int | None]:
    """(input, output) tokens as recorded: Converse's usage, an invoke stream's
    invocation metrics, an invoke's headers (input counting cache reads and writes)."""
    _, operation, _ = _target(interaction)
    data = response_body(interaction["response"])
    if operation == "converse":
        usage = json.loads(data)["usage"]
    elif operation == "converse-stream":
        usage = next(e["payload"]["usage"] for e in _events(data) if e["type"] == "metadata")
    else:
        if operation == "invoke":
            counts = {
                k: _header(interaction, f"x-amzn-bedrock-{k}-token-count")
                for k in ("input", "output", "cache-read-input", "cache-write-input")
            }
        else:
            events = [e["payload"] for e in _events(data)]
            found = [e[_METRICS] for e in events if _METRICS in e]
            # A stream a guardrail blocked has none: Titan's own counts (as floats) only.
            metrics = (
                found[-1]
                if found
                else {
                    "inputTokenCount": int(events[-1]["inputTextTokenCount"]),
                    "outputTokenCount": int(events[-1]["totalOutputTextTokenCount"]),
                }
            )
            counts = {
                "input": metrics.get("inputTokenCount"),
                "output": metrics.get("outputTokenCount"),
                "cache-read-input": metrics.get("cacheReadInputTokenCount"),
                "cache-write-input": metrics.get("cacheWriteInputTokenCount"),
            }
        cache = (counts["cache-read-input"] or 0) + (counts["cache-write-input"] or 0)
        return (counts["input"] or 0) + cache, counts["output"]
    cache = usage.get("cacheReadInputTokens", 0) + usage.get("cacheWriteInputTokens", 0)
    return usage["inputTokens"] + cache, usage["outputTokens"]


def _strings(value: Any) -> str:
    """Every string in a JSON value, in order, joined."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return "".join(_strings(v) for v in value.values())
    if isinstance(value, list):
        return "".join(_strings(v) for v in value)
    return ""


def _within(text: str, recorded: str) -> bool:
    """``text``'s letters and digits appear in ``recorded``'s, in order (a stream's pieces
    are strings among others)."""
    rest = iter(c for c in recorded if c.isalnum())
    return all(c in rest for c in text if c.isalnum())


def _check(span: ReadableSpan, interaction: dict[str, Any]) -> None:
    attrs = dict(span.attributes or {})
    if semconv_check.available():
        semconv_check.check_attributes(attrs)
    model, operation, _ = _target(interaction)
    kind = OPERATIONS[operation][1] or attrs["gen_ai.operation.name"]
    assert span.name == f"{kind} {model}"
    assert span.status.status_code.name == "UNSET"
    assert attrs["gen_ai.provider.name"] == "aws.bedrock"
    assert attrs["gen_ai.request.model"] == model
    assert attrs["server.address"] == "127.0.0.1"
    assert attrs.get("gen_ai.request.stream") is (True if "stream" in operation else None)
    inputs, outputs = _expected_usage(interaction)
    assert attrs.get("gen_ai.usage.input_tokens") == inputs
    assert attrs.get("gen_ai.usage.output_tokens") == outputs
    if operation.startswith("converse"):
        assert "gen_ai.input.messages" in attrs
    if "gen_ai.output.messages" not in attrs:
        assert model.startswith("arn:aws:sagemaker")  # an imported model: format unknown
        return
    text = " ".join(
        p.get("content", "")
        for m in json.loads(str(attrs["gen_ai.output.messages"]))
        for p in m["parts"]
    )
    data = response_body(interaction["response"])
    recorded = (
        _strings([e["payload"] for e in _events(data)])
        if "stream" in operation
        else _strings(json.loads(data))
    )
    assert any(c.isalnum() for c in text), "no text recorded in the output messages"
    assert _within(text, recorded)
    reasons = [m["finish_reason"] for m in json.loads(str(attrs["gen_ai.output.messages"]))]
    if reasons != ["error"]:  # a reason was recorded (a blocked stream has none)
        assert attrs["gen_ai.response.finish_reasons"]


@pytest.mark.parametrize("cassette", _cases())
def test_recorded_traffic(
    cassette: Path, autolog: None, exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    from spanwise.common._content import reset_content_settings

    monkeypatch.delenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", raising=False)
    reset_content_settings()
    interactions = load(cassette)
    with CassetteServer(interactions) as server:
        url = server.base_url.removesuffix("/v1")
        client = boto3.client("bedrock-runtime", endpoint_url=url, region_name="us-east-1")
        for interaction in interactions:
            _replay(client, interaction)
        assert server.unmatched == []
        assert server.pending == []
    spans = list(exporter.get_finished_spans())
    assert len(spans) == len(interactions)
    for span, interaction in zip(spans, interactions, strict=True):
        _check(span, interaction)


def test_every_recording_is_replayed() -> None:
    """A parsing slip must not silently skip recordings: all are model operations."""
    if not DIRECTORY.is_dir():
        pytest.skip(f"{DIRECTORY} is absent: no recorded traffic")
    paths = sorted(DIRECTORY.rglob("*.yaml"))
    assert len(paths) >= 78
    for path in paths:
        for interaction in load(path):
            assert _target(interaction)[1] in OPERATIONS
