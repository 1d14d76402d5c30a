"""autolog / instrument switches, the content policy, secrets, one model span per call with
the OpenAI SDK instrumented too, nesting and never-break."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import litellm
import pytest
import wrapt
from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import spanwise
from spanwise.common._content import reset_content_settings
from spanwise.instrumentations.litellm import LiteLLMInstrumentor

from fake_openai import CANARY_KEY

MESSAGES = [{"role": "user", "content": "secret prompt"}]
FUNCTIONS = ("completion", "acompletion", "embedding", "aembedding")
SCOPE = "spanwise.instrumentations.litellm"


def _complete(args: dict[str, Any], **kwargs: Any) -> Any:
    return litellm.completion(
        **{"model": "openai/gpt-4o-mini", "messages": MESSAGES, **args, **kwargs}
    )


def _patched() -> list[bool]:
    return [isinstance(getattr(litellm, name), wrapt.FunctionWrapper) for name in FUNCTIONS]


def _scopes(exporter: InMemorySpanExporter) -> list[str]:
    return [s.instrumentation_scope.name for s in exporter.get_finished_spans()]  # type: ignore[union-attr]


def test_autolog_disable_removes_the_patches(
    exporter: InMemorySpanExporter, openai_args: dict[str, Any]
) -> None:
    spanwise.litellm.autolog()
    assert _patched() == [True] * 4
    spanwise.litellm.autolog(disable=True)
    assert _patched() == [False] * 4
    _complete(openai_args)
    assert _scopes(exporter) == []


def test_log_traces_false_keeps_patches_and_records_nothing(
    exporter: InMemorySpanExporter, openai_args: dict[str, Any]
) -> None:
    spanwise.litellm.autolog(log_traces=False)
    try:
        assert _patched() == [True] * 4
        _complete(openai_args)
        list(_complete(openai_args, stream=True))
        assert _scopes(exporter) == []
    finally:
        spanwise.litellm.autolog(disable=True)


def test_spanwise_autolog_covers_litellm(
    exporter: InMemorySpanExporter, openai_args: dict[str, Any]
) -> None:
    spanwise.autolog()
    try:
        _complete(openai_args)
        assert _scopes(exporter) == [SCOPE]  # one span: the OpenAI SDK's call passed through
    finally:
        spanwise.autolog(disable=True)
    _complete(openai_args)
    assert _scopes(exporter) == [SCOPE]


def test_plain_instrumentor_uses_its_provider_and_records_metadata_only(
    exporter: InMemorySpanExporter, openai_args: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    own = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(own))
    instrumentor = LiteLLMInstrumentor()
    instrumentor.instrument(tracer_provider=provider)
    try:
        _complete(openai_args)
        monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "true")
        reset_content_settings()
        _complete(openai_args)
    finally:
        instrumentor.uninstrument()
    assert _scopes(exporter) == []  # never the global provider when one was passed
    metadata_only, with_content = own.get_finished_spans()
    assert "gen_ai.input.messages" not in (metadata_only.attributes or {})
    assert metadata_only.attributes["gen_ai.usage.output_tokens"] == 9  # type: ignore[index]
    assert "secret prompt" in str(with_content.attributes["gen_ai.input.messages"])  # type: ignore[index]


def test_env_off_beats_autolog(
    exporter: InMemorySpanExporter, openai_args: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "false")
    spanwise.litellm.autolog()
    try:
        _complete(openai_args)
        list(_complete(openai_args, stream=True))
        with pytest.raises(litellm.NotFoundError):
            _complete(openai_args, model="openai/error-404")
    finally:
        spanwise.litellm.autolog(disable=True)
    spans = exporter.get_finished_spans()
    dumped = repr([dict(s.attributes or {}) for s in spans]) + repr([s.events for s in spans])
    assert len(spans) == 3
    assert "secret" not in dumped and "Hello" not in dumped
    assert "does not exist" not in dumped  # the hard off keeps error messages out too
    assert "gen_ai.usage.input_tokens" in dumped


def test_cached_function_passes_through_after_uninstrument(
    exporter: InMemorySpanExporter, openai_args: dict[str, Any]
) -> None:
    spanwise.litellm.autolog()
    completion = litellm.completion  # the wrapper, kept by the app
    spanwise.litellm.autolog(disable=True)
    completion(model="openai/m", messages=MESSAGES, **openai_args)
    assert _scopes(exporter) == []


@pytest.mark.usefixtures("autolog")
def test_suppress_instrumentation_is_honoured(
    exporter: InMemorySpanExporter, openai_args: dict[str, Any]
) -> None:
    with suppress_instrumentation():
        _complete(openai_args)
    assert _scopes(exporter) == []


@pytest.mark.usefixtures("autolog")
def test_nested_under_the_callers_span(
    exporter: InMemorySpanExporter, openai_args: dict[str, Any]
) -> None:
    with spanwise.start_span("agent"):
        _complete(openai_args)
    chat, agent = exporter.get_finished_spans()
    assert chat.parent is not None and agent.context is not None
    assert chat.parent.span_id == agent.context.span_id


@pytest.fixture
def both() -> Iterator[None]:
    """spanwise's OpenAI instrumentor on beside LiteLLM's."""
    spanwise.openai.autolog()
    spanwise.litellm.autolog()
    yield
    spanwise.litellm.autolog(disable=True)
    spanwise.openai.autolog(disable=True)


@pytest.mark.usefixtures("both")
async def test_one_model_span_per_call_with_the_openai_sdk_instrumented(
    exporter: InMemorySpanExporter, fake_openai: Any, openai_args: dict[str, Any]
) -> None:
    before = len(fake_openai.requests)
    _complete(openai_args)
    list(_complete(openai_args, stream=True))
    await litellm.acompletion(model="openai/gpt-4o-mini", messages=MESSAGES, **openai_args)
    stream = await litellm.acompletion(
        model="openai/gpt-4o-mini", messages=MESSAGES, stream=True, **openai_args
    )
    async for _ in stream:
        pass
    litellm.embedding(model="openai/text-embedding-3-small", input=["a"], **openai_args)
    assert len(fake_openai.requests) - before == 5  # every call reached the OpenAI SDK...
    spans = exporter.get_finished_spans()
    assert _scopes(exporter) == [SCOPE] * 5  # ...and each is one span, LiteLLM's
    assert [s.name for s in spans] == ["chat gpt-4o-mini"] * 4 + [
        "embeddings text-embedding-3-small"
    ]
    assert all(s.parent is None for s in spans)
    # The OpenAI SDK used alone is still traced.
    import openai

    client = openai.OpenAI(base_url=fake_openai.base_url, api_key="k", max_retries=0)
    client.chat.completions.create(model="m", messages=MESSAGES)  # type: ignore[arg-type]
    assert _scopes(exporter)[-1] == "spanwise.instrumentations.openai"


@pytest.mark.usefixtures("autolog")
def test_no_secret_enters_a_span(
    exporter: InMemorySpanExporter,
    fake_openai: Any,
    fake_anthropic: Any,
    openai_args: dict[str, Any],
    anthropic_args: dict[str, Any],
) -> None:
    from fake_anthropic import CANARY_KEY as ANTHROPIC_KEY

    _complete(openai_args)
    list(_complete(openai_args, stream=True))
    with pytest.raises(litellm.NotFoundError):
        _complete(openai_args, model="openai/error-404")
    litellm.embedding(model="openai/e", input=["a"], **openai_args)
    litellm.completion(model="anthropic/claude-x", messages=MESSAGES, **anthropic_args)
    with pytest.raises(litellm.RateLimitError):
        litellm.completion(model="anthropic/error-429", messages=MESSAGES, **anthropic_args)
    dumped = "".join(span.to_json() for span in exporter.get_finished_spans())
    sent = [str(r["headers"]) for r in fake_openai.requests[-4:]]
    assert all(CANARY_KEY in headers for headers in sent)  # it was sent...
    assert ANTHROPIC_KEY in str(fake_anthropic.requests[-1]["headers"])
    assert CANARY_KEY not in dumped and ANTHROPIC_KEY not in dumped  # ...and never recorded
    assert "canary" not in dumped  # not even a prefix of either
    assert "authorization" not in dumped.lower() and "x-api-key" not in dumped.lower()


@pytest.mark.usefixtures("autolog")
def test_internal_errors_never_break_the_call(
    exporter: InMemorySpanExporter,
    openai_args: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from spanwise.common import _safety
    from spanwise.instrumentations.litellm import _extract

    def broken(*args: Any) -> Any:
        raise RuntimeError("a spanwise bug")

    monkeypatch.setattr(_extract, "request_attributes", broken)
    monkeypatch.setattr(_safety, "_seen", set())
    with pytest.raises(RuntimeError, match="a spanwise bug"):  # loud under tests...
        _complete(openai_args)
    monkeypatch.setenv("SPANWISE_RAISE_INTERNAL_ERRORS", "0")  # ...logged once in an app
    with caplog.at_level(logging.WARNING, logger="spanwise"):
        for _ in range(3):
            assert _complete(openai_args).choices[0].message.content
        assert len(list(_complete(openai_args, stream=True))) > 1
    warnings = [r for r in caplog.records if "internal error in litellm request" in r.message]
    assert len(warnings) == 1
    assert _scopes(exporter) == []  # the calls proceeded untraced
