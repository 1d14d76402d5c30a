"""The yardstick of ``bench_anthropic.py``: one SDK span per call with spanwise's
attributes precomputed, the floor every OTel GenAI instrumentation pays."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from _harness import pass_through
from _yardstick import patching, span_picking

Toggle = tuple[Callable[[], None], Callable[[], None]]

MODEL = "claude-sonnet-4-5"  # the model every case asks for


def _yardstick() -> Toggle:
    """The least any OTel GenAI instrumentation does per call: one SDK span on the same
    provider, current during the call, with the attributes spanwise records for the
    case, precomputed; a stream passes through a proxy that only ends the span (for the
    ``stream()`` helper, a manager proxy that puts that proxy on the raw stream, as
    spanwise does). A yardstick, not a peer: the part of every tool's figure that is the
    OpenTelemetry SDK's and the proxy's."""
    import wrapt
    from anthropic.resources.messages import messages
    from opentelemetry import context, trace

    start = {
        "spanwise.span.type": "CHAT_MODEL",
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": MODEL,
        "gen_ai.request.max_tokens": 256,
        "gen_ai.provider.name": "anthropic",
        "server.address": "fake.local",
        "server.port": 80,
        "gen_ai.input.messages": '[{"role":"user","parts":[{"type":"text","content":'
        '"Weather in Paris?"}]}]',
    }
    text = '"Hello! The weather in Paris is sunny, 21 degrees."'
    end = {
        "gen_ai.response.id": "msg_01FakeAnthropicMessage01",
        "gen_ai.response.model": MODEL,
        "gen_ai.response.finish_reasons": ("end_turn",),
        "gen_ai.usage.cache_read.input_tokens": 4,
        "gen_ai.usage.cache_creation.input_tokens": 3,
        "gen_ai.usage.input_tokens": 19,
        "gen_ai.usage.output_tokens": 9,
        "gen_ai.output.messages": '[{"role":"assistant","parts":[{"type":"text","content":'
        + text
        + '}],"finish_reason":"stop"}]',
    }
    tool_start = {
        **start,
        "gen_ai.tool.definitions": '[{"type":"function","name":"get_weather","description":'
        '"Weather","parameters":{"type":"object","properties":{"city":{"type":"string"}},'
        '"required":["city"]}}]',
    }
    tool_end = {
        **end,
        "gen_ai.response.finish_reasons": ("tool_use",),
        "gen_ai.output.messages": '[{"role":"assistant","parts":[{"type":"tool_call","name":'
        '"get_weather","id":"toolu_01FakeAnthropicToolUse1","arguments":{"city":"Paris"}}],'
        '"finish_reason":"tool_call"}]',
    }
    stream_start = {**start, "gen_ai.request.stream": True}
    stream_end = {**end, "gen_ai.response.time_to_first_chunk": 0.001}
    helper_end = stream_end
    tracer = trace.get_tracer("sdk-span-only")

    class Manager(wrapt.ObjectProxy):  # type: ignore[misc]
        def __init__(self, manager: Any, span: Any) -> None:
            super().__init__(manager)  # pyright: ignore[reportUnknownMemberType]
            self._self_span = span

        def __enter__(self) -> Any:
            span = self._self_span
            token = context.attach(trace.set_span_in_context(span))
            try:
                stream = self.__wrapped__.__enter__()
            finally:
                context.detach(token)
            stream._raw_stream = pass_through(stream._raw_stream, span, stream_end)
            return stream

        def __exit__(self, *exc: Any) -> Any:
            try:
                return self.__wrapped__.__exit__(*exc)
            finally:
                if self._self_span.is_recording():
                    self._self_span.set_attributes(helper_end)
                    self._self_span.end()

    def pick(kwargs: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], bool]:
        if kwargs.get("stream"):
            return stream_start, stream_end, True
        return (tool_start, tool_end, False) if kwargs.get("tools") else (start, end, False)

    def stream(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        span = tracer.start_span(
            f"chat {MODEL}", kind=trace.SpanKind.CLIENT, attributes=dict(start)
        )
        return Manager(wrapped(*args, **kwargs), span)

    return patching(
        [(messages.Messages, "create", span_picking(pick)), (messages.Messages, "stream", stream)]
    )
