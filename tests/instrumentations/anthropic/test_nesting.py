"""One model span per call: the SDK's own call span, and another instrumentor's model span
around the same call (LiteLLM or LangChain calling the SDK)."""

from __future__ import annotations

from typing import Any

import anthropic
import pytest
import wrapt
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from spanwise.instrumentations._invocation import CHAT, Settings, in_model_call
from spanwise.instrumentations._llm import LLMCall
from spanwise.instrumentations._tracer import get_tracer
from spanwise.instrumentations._wrappers import sync_wrapper

MESSAGES = [{"role": "user", "content": "hi"}]


def _native_tracing() -> bool:
    try:
        from anthropic import _base_client
    except ImportError:  # pragma: no cover
        return False
    return hasattr(_base_client, "start_api_call_span")


def test_the_sdks_own_span_gives_way_to_spanwise(
    fake_server: Any, exporter: InMemorySpanExporter
) -> None:
    """Recent SDKs trace their own API calls (on by default, on the global provider): while
    spanwise records a call, that call has one span, spanwise's; uninstrumented, the SDK's
    own span is back."""
    if not _native_tracing():
        pytest.skip(f"anthropic {anthropic.__version__} does not trace its own calls")
    import spanwise

    def call() -> None:
        client = anthropic.Anthropic(base_url=fake_server.base_url, api_key="k", max_retries=0)
        client.messages.create(model="claude-x", max_tokens=8, messages=MESSAGES)

    call()
    (native,) = exporter.get_finished_spans()
    assert native.name == "anthropic.messages.create"
    exporter.clear()
    spanwise.anthropic.autolog()
    try:
        call()
    finally:
        spanwise.anthropic.autolog(disable=True)
    assert [s.name for s in exporter.get_finished_spans()] == ["chat claude-x"]
    exporter.clear()
    call()
    assert [s.name for s in exporter.get_finished_spans()] == ["anthropic.messages.create"]


class Gateway:
    """Plays a library that routes to the Anthropic SDK (as LiteLLM does)."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def complete(self, model: str, messages: list[Any]) -> Any:
        assert in_model_call()  # the gateway's model span is in flight
        return self.client.messages.create(model=model, max_tokens=8, messages=messages)


class _GatewayOperation:
    """The gateway's instrumentor, built on the same core."""

    def start(
        self, settings: Settings, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> LLMCall | None:
        model = kwargs["model"]
        return LLMCall.start_call(settings, CHAT.span_name(model), CHAT.attributes(model))

    def finish(self, run: LLMCall, result: Any, kwargs: dict[str, Any], *, is_async: bool) -> Any:
        run.succeed()
        return result


def test_a_call_inside_another_instrumentors_model_span_is_one_span(
    client: Any, exporter: InMemorySpanExporter
) -> None:
    settings = Settings(tracer=get_tracer(), explicit=True)
    wrapt.wrap_function_wrapper(Gateway, "complete", sync_wrapper(settings, _GatewayOperation()))
    try:
        Gateway(client).complete(model="claude-x", messages=MESSAGES)
    finally:
        Gateway.complete = Gateway.complete.__wrapped__  # type: ignore[method-assign]
    (span,) = exporter.get_finished_spans()  # the gateway's; the SDK call passed through
    assert span.name == "chat claude-x"
    assert span.instrumentation_scope is not None
    assert span.instrumentation_scope.name == "spanwise"
    assert not in_model_call()  # reset after the call
    client.messages.create(model="claude-x", max_tokens=8, messages=MESSAGES)
    assert len(exporter.get_finished_spans()) == 2  # outside it, the SDK call is traced again
