"""Where the patch sits (clients made before instrument(), other AWS services untouched,
uninstrument), the content policy, the secret canary (AWS credentials, signature,
session token), one model span per call, and the pure extractors on plain objects."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
import wrapt
from botocore.client import BaseClient
from botocore.stub import Stubber
from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import spanwise
from spanwise.common._content import reset_content_settings
from spanwise.instrumentations._invocation import Settings
from spanwise.instrumentations._llm import LLMCall
from spanwise.instrumentations._tracer import get_tracer
from spanwise.instrumentations.bedrock import _formats as f
from spanwise.instrumentations.bedrock._patch import error_code

from fake_bedrock import ACCESS_KEY, CANARY_KEY, SECRET_KEY

MESSAGES = [{"role": "user", "content": [{"text": "secret prompt"}]}]
MODEL = "amazon.nova-lite-v1:0"


def _converse(client: Any, model: str = MODEL) -> Any:
    return client.converse(modelId=model, messages=MESSAGES)


def test_a_client_made_before_instrument_is_traced(
    plain_client: Any, exporter: InMemorySpanExporter
) -> None:
    client = plain_client
    _converse(client)
    assert exporter.get_finished_spans() == ()
    spanwise.bedrock.autolog()
    try:
        assert isinstance(vars(BaseClient)["_make_api_call"], wrapt.FunctionWrapper)
        _converse(client)
    finally:
        spanwise.bedrock.autolog(disable=True)
    assert not isinstance(vars(BaseClient)["_make_api_call"], wrapt.FunctionWrapper)
    _converse(client)
    (span,) = exporter.get_finished_spans()
    assert span.name == f"chat {MODEL}"


def test_other_services_and_operations_pass_through(
    client: Any, exporter: InMemorySpanExporter
) -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    with Stubber(s3) as stub:
        stub.add_response("list_buckets", {"Buckets": []})
        s3.list_buckets()
    control = boto3.client("bedrock", region_name="us-east-1")  # Bedrock's control plane
    with Stubber(control) as stub:
        stub.add_response("list_foundation_models", {"modelSummaries": []})
        control.list_foundation_models()
    if "ApplyGuardrail" in client.meta.service_model.operation_names:  # later botocores
        with Stubber(client) as stub, pytest.raises(client.exceptions.ClientError):
            stub.add_client_error("apply_guardrail", "ValidationException")
            client.apply_guardrail(
                guardrailIdentifier="g", guardrailVersion="1", source="INPUT", content=[]
            )
    assert exporter.get_finished_spans() == ()


def test_log_traces_false_and_suppression(
    plain_client: Any, exporter: InMemorySpanExporter
) -> None:
    client = plain_client
    spanwise.bedrock.autolog(log_traces=False)
    try:
        _converse(client)
    finally:
        spanwise.bedrock.autolog(disable=True)
    spanwise.bedrock.autolog()
    try:
        with suppress_instrumentation():
            _converse(client)
            list(client.converse_stream(modelId=MODEL, messages=MESSAGES)["stream"])
    finally:
        spanwise.bedrock.autolog(disable=True)
    assert exporter.get_finished_spans() == ()


def test_content_policy(
    plain_client: Any, exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    from spanwise.instrumentations.bedrock import BedrockInstrumentor

    client = plain_client
    instrumentor = BedrockInstrumentor()
    instrumentor.instrument()  # plain instrument(): metadata only
    try:
        _converse(client)
        body = json.dumps({"prompt": "secret prompt"})
        client.invoke_model(modelId="meta.llama3-8b-instruct-v1:0", body=body)
    finally:
        instrumentor.uninstrument()
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "false")
    reset_content_settings()
    spanwise.bedrock.autolog()  # the environment's hard off wins
    try:
        list(client.converse_stream(modelId=MODEL, messages=MESSAGES)["stream"])
    finally:
        spanwise.bedrock.autolog(disable=True)
    spans = exporter.get_finished_spans()
    assert len(spans) == 3
    dumped = repr([dict(s.attributes or {}) for s in spans])
    assert "secret" not in dumped and "gen_ai.output.messages" not in dumped
    assert all((s.attributes or {})["gen_ai.usage.output_tokens"] == 9 for s in spans)


def test_no_credential_enters_a_span(
    client: Any, fake_server: Any, exporter: InMemorySpanExporter
) -> None:
    before = len(fake_server.requests)
    _converse(client)
    list(client.converse_stream(modelId=MODEL, messages=MESSAGES)["stream"])
    client.invoke_model(modelId="meta.llama3", body=json.dumps({"prompt": "hi"}))
    with pytest.raises(client.exceptions.ThrottlingException):
        _converse(client, "error-throttle")
    sent = [str(r["headers"]) for r in fake_server.requests[before:]]
    assert len(sent) == 4
    assert all(CANARY_KEY in h and ACCESS_KEY in h and "Signature=" in h for h in sent)
    spans = exporter.get_finished_spans()
    assert len(spans) == 4
    dumped = "".join(span.to_json() for span in spans)
    for secret in (SECRET_KEY, CANARY_KEY, ACCESS_KEY, "Signature=", "AWS4-HMAC-SHA256"):
        assert secret not in dumped
    assert "authorization" not in dumped.lower() and "x-amz-security-token" not in dumped.lower()


def test_one_model_span_inside_another_model_call(
    client: Any, exporter: InMemorySpanExporter
) -> None:
    """A framework's model span (LangChain's ChatBedrock...) around the boto3 call: one
    span, the outer one."""
    settings = Settings(tracer=get_tracer(), explicit=True)
    outer = LLMCall.start_call(settings, "chat outer", {})
    assert outer is not None
    with outer:
        _converse(client)
    outer.succeed()
    (span,) = exporter.get_finished_spans()
    assert span.name == "chat outer"
    _converse(client)
    assert len(exporter.get_finished_spans()) == 2  # outside it, traced again


def test_model_families() -> None:
    assert f.model_family("anthropic.claude-3-haiku") == ("anthropic", "claude-3-haiku")
    assert f.model_family("us.anthropic.claude-3-haiku") == ("anthropic", "claude-3-haiku")
    assert f.model_family(
        "arn:aws:bedrock:us-east-1:123:inference-profile/eu.meta.llama3-2-1b"
    ) == ("meta", "llama3-2-1b")
    assert f.model_family("arn:aws:bedrock:us-east-1:123:imported-model/abc") == ("abc", "")
    cases = {
        ("anthropic.claude-v2", "prompt"): "anthropic-text",
        ("anthropic.claude-3", "messages"): "anthropic",
        ("amazon.nova-pro-v1:0", "messages"): "nova",
        ("amazon.nova-canvas-v1:0", "taskType"): "unknown",
        ("amazon.titan-text-lite-v1", "inputText"): "titan",
        ("amazon.titan-embed-text-v2:0", "inputText"): "titan-embed",
        ("cohere.embed-english-v3", "texts"): "cohere-embed",
        ("cohere.command-r-plus-v1:0", "message"): "cohere",
        ("cohere.command-light-text-v14", "prompt"): "cohere-text",
        ("ai21.j2-mid-v1", "prompt"): "ai21",
        ("ai21.jamba-1-5-mini-v1:0", "messages"): "chat",
        ("mistral.mixtral-8x7b-instruct-v0:1", "prompt"): "mistral",
        ("deepseek.r1-v1:0", "messages"): "unknown",
    }
    for (model, key), name in cases.items():
        assert f.format_for(model, {key: 1}).name == name, model


def test_finish_reasons_and_error_codes() -> None:
    import botocore.exceptions

    assert [f.finish_reason(r) for r in ("FINISH", "COMPLETE", "MAX_TOKENS", "LENGTH")] == [
        "stop",
        "stop",
        "length",
        "length",
    ]
    assert f.finish_reason("CONTENT_FILTERED") == "content_filter"
    assert f.finish_reason("tool_calls") == "tool_call"
    assert f.finish_reason(None) == "error"
    error = botocore.exceptions.ClientError({"Error": {"Code": "X", "Message": "m"}}, "Converse")
    assert error_code(error) == "X"
    assert error_code(ValueError("x")) is None
