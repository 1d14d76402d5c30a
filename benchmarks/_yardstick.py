"""The yardstick of a provider bench: the least any OTel GenAI instrumentation does per
call. One SDK span on the same provider, current during the call, with the attributes
spanwise records for the case precomputed; a stream passes through a proxy that only
ends the span. Not a peer: the part of every tool's figure that is the OpenTelemetry
SDK's and the proxy's. Imported in the yardstick's worker only."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from _harness import pass_through
from _provider_bench import EXAMPLES, Toggle


def chat_attributes(
    *,
    operation: str,
    provider: str,
    model: str,
    stream_model: str,
    response_id: str,
    text: str,
    stream_response_model: str | None = None,
    usage: tuple[int, int] = (12, 9),
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any]]:
    """What spanwise records for one user question ("Weather in Paris?") answered with
    ``text``, precomputed for a yardstick: (start, end, stream start, stream end)."""
    start = {
        "spanwise.span.type": "CHAT_MODEL",
        "gen_ai.operation.name": operation,
        "gen_ai.request.model": model,
        "gen_ai.provider.name": provider,
        "server.address": "fake.local",
        "server.port": 80,
        "gen_ai.input.messages": '[{"role":"user","parts":[{"type":"text","content":'
        '"Weather in Paris?"}]}]',
    }
    end = {
        "gen_ai.response.id": response_id,
        "gen_ai.response.model": model,
        "gen_ai.response.finish_reasons": ("stop",),
        "gen_ai.usage.input_tokens": usage[0],
        "gen_ai.usage.output_tokens": usage[1],
        "gen_ai.output.messages": '[{"role":"assistant","parts":[{"type":"text","content":"'
        + text
        + '"}],"finish_reason":"stop"}]',
    }
    stream_start = {**start, "gen_ai.request.model": stream_model, "gen_ai.request.stream": True}
    stream_end = {
        **end,
        "gen_ai.response.model": stream_response_model or model,
        "gen_ai.response.time_to_first_chunk": 0.001,
    }
    return start, end, stream_start, stream_end


def chat_completions(provider: str, model: str, **end_extra: Any) -> Any:
    """The ``span_picking`` wrapper of a Chat Completions ``create`` answered by
    ``examples/fake_openai.py`` (``stream=True`` picks the stream's attributes): its
    response id and model name, and ``end_extra`` at both ends (e.g. the usage details
    a provider's instrumentation reads)."""
    import sys

    sys.path.insert(0, EXAMPLES)
    from fake_openai import TEXT

    start, end, stream_start, stream_end = chat_attributes(
        operation="chat",
        provider=provider,
        model=model,
        stream_model=model,
        response_id="chatcmpl-123",
        text=TEXT,
    )
    details = {"gen_ai.response.model": f"{model}-2024-07-18", **end_extra}  # the fake's
    end.update(details)
    stream_end.update(details)
    plain, streamed = (start, end, False), (stream_start, stream_end, True)
    return span_picking(lambda kwargs: streamed if kwargs.get("stream") else plain)


Attributes = dict[str, Any]


def span_around(start: Attributes, end: Attributes, streams: bool = False) -> Any:
    """A yardstick's wrapt wrapper: one SDK span named "{operation} {model}", current
    during the call, with ``start`` at start and ``end`` at the end (for a stream, when
    the pass-through proxy is exhausted). The attributes are precomputed by the caller."""
    fixed = (start, end, streams)
    return span_picking(lambda kwargs: fixed)


def span_picking(pick: Callable[[dict[str, Any]], tuple[Attributes, Attributes, bool]]) -> Any:
    """``span_around`` with (start, end, streams) picked from the call's keyword
    arguments, for one method that serves several cases (``stream=True``, tools...)."""
    from opentelemetry import context, trace

    tracer = trace.get_tracer("sdk-span-only")
    kind = trace.SpanKind.CLIENT

    def call(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        start, end, streams = pick(kwargs)
        name = f"{start['gen_ai.operation.name']} {start['gen_ai.request.model']}"
        span = tracer.start_span(name, kind=kind, attributes=dict(start))
        token = context.attach(trace.set_span_in_context(span))
        try:
            result = wrapped(*args, **kwargs)
        finally:
            context.detach(token)
        if streams:
            return pass_through(result, span, end)
        span.set_attributes(end)
        span.end()
        return result

    return call


def patching(patches: Sequence[tuple[Any, str, Any]]) -> Toggle:
    """The toggle of (owner, attribute, wrapt wrapper) patches."""
    import wrapt
    from opentelemetry.instrumentation.utils import unwrap

    def on() -> None:
        for owner, attribute, wrapper in patches:
            wrapt.wrap_function_wrapper(owner, attribute, wrapper)

    def off() -> None:
        for owner, attribute, _ in patches:
            unwrap(owner, attribute)

    return on, off
