"""Key-shaped secrets never leave in recorded error text: the span status, the
``exception`` event's message and stack trace, from instrumentors and the manual API
alike. The application's own exception is untouched."""

from __future__ import annotations

import json
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import spanwise
from spanwise.common._redact import redact

from fake_server import Answer, mock_client

OPENAI_KEY = "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z"
ANTHROPIC_KEY = "sk-ant-api03-Zy9xWv8uTs7rQp6oNm5lKj4iHg3fEd2cBa1"
SECRETS = {
    OPENAI_KEY: "sk-[REDACTED]",
    ANTHROPIC_KEY: "sk-[REDACTED]",
    "sk-****************************wxyz1": "sk-[REDACTED]",  # a masked echo
    "gsk_8fK2mQ9xLp3vNz7Rt5Wy1Bc6Dh4Gj0Ks": "gsk_[REDACTED]",
    "hf_aB3cD4eF5gH6iJ7kL8mN9oP0qR1sT2uV3w": "hf_[REDACTED]",
    "ghp_1234567890abcdefghijABCDEFGHIJ123456": "ghp_[REDACTED]",
    "AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q": "AIza[REDACTED]",
    "AKIAIOSFODNN7EXAMPLE": "AKIA[REDACTED]",
    "Bearer abc.DEF-123_xyz~456": "Bearer [REDACTED]",
    "authorization: basic dXNlcjpwYXNzd29yZA==": "authorization: basic [REDACTED]",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N": "eyJ[REDACTED]",
    "api_key=9f86d081884c7d659a2feaa0c55ad015": "api_key=[REDACTED]",
    'x-api-key: "3b1f0c9e2d8a7b6c5d4e3f2a1b0c9d8e"': 'x-api-key: "[REDACTED]"',
    "Incorrect API key provided: abcd1234efgh5678ijkl": "Incorrect API key provided: [REDACTED]",
    "the token is 0123456789abcdef0123": "the token is [REDACTED]",
    "password=hunter2hunter2hunter2": "password=[REDACTED]",
}
ORDINARY = [
    "scikit-learn is sk-learn-compatible-estimators-everywhere",  # no digit
    "task-12345678901234567890 and risk-assessment-2024-report-final",  # sk- inside a word
    "max_tokens=4096 and the token limit is 8192",
    "Error code: 404 - {'error': {'message': 'The model does not exist'}}",
    "request id req_01FakeAnthropicRequest01, trace 0af7651916cd43dd8448eb211c80319c",
    "ValueError: invalid literal for int() with base 10: 'abc'",
    "Bearer",
    "AKIA is a prefix",
    "the password is short",
    "basic functionality is missing; Bearer authentication required",
    "secret: the recipe is a well-kept family tradition",
]


@pytest.mark.parametrize(("secret", "expected"), list(SECRETS.items()))
def test_key_shaped_secrets_are_redacted(secret: str, expected: str) -> None:
    text = f"Error code: 401 - {secret}. See the docs."
    assert redact(text) == f"Error code: 401 - {expected}. See the docs."


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_text_is_left_as_it_is(text: str) -> None:
    assert redact(text) == text


def test_redaction_is_linear_on_pathological_text() -> None:
    text = "sk-" * 20_000 + "token=" * 20_000 + "Bearer " * 20_000
    assert redact(text) == text  # and it returns (no quadratic backtracking)


def _everything(span: ReadableSpan) -> str:
    """Every recorded string of a span: status, attributes, events."""
    events = [(e.name, dict(e.attributes or {})) for e in span.events]
    return json.dumps(
        [span.name, span.status.description, dict(span.attributes or {}), events], default=str
    )


def _unauthorized(message: str) -> Any:
    def respond(path: str, body: dict[str, Any]) -> Answer:
        error = {"error": {"message": message, "type": "invalid_request_error"}}
        return 401, "application/json", json.dumps(error).encode()

    return respond


def test_openai_401_echoing_the_key(exporter: InMemorySpanExporter) -> None:
    import openai

    message = f"Incorrect API key provided: {OPENAI_KEY}. You can find your API key at ..."
    client = openai.OpenAI(
        base_url="http://fake.test/v1",
        api_key=OPENAI_KEY,
        max_retries=0,
        http_client=mock_client(_unauthorized(message)),
    )
    spanwise.openai.autolog()
    try:
        with pytest.raises(openai.AuthenticationError) as info:
            client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
            )
    finally:
        spanwise.openai.autolog(disable=True)
    assert OPENAI_KEY in str(info.value)  # the application's exception is untouched
    (span,) = exporter.get_finished_spans()
    assert OPENAI_KEY not in _everything(span)
    event = dict(span.events[0].attributes or {})
    assert "Incorrect API key provided: sk-[REDACTED]" in str(event["exception.message"])
    assert "sk-[REDACTED]" in str(event["exception.stacktrace"])
    assert "sk-[REDACTED]" in str(span.status.description)
    assert span.attributes["error.type"] == "AuthenticationError"  # type: ignore[index]


def test_anthropic_401_echoing_the_key(exporter: InMemorySpanExporter) -> None:
    anthropic = pytest.importorskip("anthropic")

    client = anthropic.Anthropic(
        base_url="http://fake.test",
        api_key=ANTHROPIC_KEY,
        max_retries=0,
        http_client=mock_client(_unauthorized(f"invalid x-api-key: {ANTHROPIC_KEY}")),
    )
    spanwise.anthropic.autolog()
    try:
        with pytest.raises(anthropic.AuthenticationError):
            client.messages.create(
                model="claude-x", max_tokens=8, messages=[{"role": "user", "content": "hi"}]
            )
    finally:
        spanwise.anthropic.autolog(disable=True)
    (span,) = exporter.get_finished_spans()
    assert ANTHROPIC_KEY not in _everything(span)
    assert "x-api-key: sk-[REDACTED]" in str(span.events[0].attributes["exception.message"])  # type: ignore[index]


def test_manual_spans_redact_the_exception_and_its_cause(exporter: InMemorySpanExporter) -> None:
    token = "Bearer abc123DEF456ghi789"

    @spanwise.trace
    def call_api() -> None:
        try:
            raise ConnectionError(f"refused with Authorization: {token}")
        except ConnectionError as exc:
            raise RuntimeError(f"retry failed for key {OPENAI_KEY}") from exc

    with pytest.raises(RuntimeError) as info:
        call_api()
    assert OPENAI_KEY in str(info.value)
    with spanwise.start_span("manual") as span:
        span.record_exception(ValueError(f"api_key={OPENAI_KEY[3:]}"))
    traced, manual = exporter.get_finished_spans()
    for span in (traced, manual):
        recorded = _everything(span)
        assert OPENAI_KEY not in recorded and OPENAI_KEY[3:] not in recorded
        assert "abc123DEF456ghi789" not in recorded
    stack = str(traced.events[0].attributes["exception.stacktrace"])  # type: ignore[index]
    assert "Authorization: Bearer [REDACTED]" in stack  # the cause's message, redacted
    assert "raise RuntimeError" in stack  # the frames stay
    assert traced.status.description == "RuntimeError: retry failed for key sk-[REDACTED]"
    assert manual.events[0].attributes["exception.message"] == "api_key=[REDACTED]"  # type: ignore[index]
