"""stream=True: the shared stream contract over LiteLLM's CustomStreamWrapper (sync and
async; tests/_lib/chat_contract.py: one ended span in every way a stream can end, with
what was received, usage, streamed tool calls), Anthropic streams, mid-stream errors."""

from __future__ import annotations

import json
from typing import Any

import litellm
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from chat_contract import MESSAGES, StreamCase, StreamContract, output_text
from fake_anthropic import TEXT as ANTHROPIC_TEXT
from fake_openai import TEXT

pytestmark = pytest.mark.usefixtures("autolog")

USAGE = {"include_usage": True}
# LiteLLM's streams have close()/aclose() and are context managers since after 1.60.
CLOSABLE = hasattr(litellm.CustomStreamWrapper, "close")
needs_close = pytest.mark.skipif(not CLOSABLE, reason="this LiteLLM's stream has no close()")


def _stream(args: dict[str, Any], model: str = "openai/gpt-4o-mini", **kwargs: Any) -> Any:
    return litellm.completion(model=model, messages=MESSAGES, stream=True, **args, **kwargs)


def _astream(args: dict[str, Any], model: str, **kwargs: Any) -> Any:
    return litellm.acompletion(
        model=f"openai/{model}", messages=MESSAGES, stream=True, **args, **kwargs
    )


class TestStream(StreamContract):
    case = StreamCase(
        provider="openai",
        model="gpt-4o-mini",
        stream=lambda args, model, **kwargs: _stream(args, f"openai/{model}", **kwargs),
        astream=_astream,
        classes=lambda: (litellm.CustomStreamWrapper, litellm.CustomStreamWrapper),
        usage={"stream_options": USAGE},
        closable=CLOSABLE,
        aclose="aclose",
    )


def test_anthropic_stream(exporter: InMemorySpanExporter, anthropic_args: dict[str, Any]) -> None:
    stream = _stream(anthropic_args, "anthropic/claude-x", max_tokens=64, stream_options=USAGE)
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert text == ANTHROPIC_TEXT
    (span,) = exporter.get_finished_spans()
    attrs = dict(span.attributes or {})
    assert output_text(span) == ANTHROPIC_TEXT
    assert attrs["gen_ai.provider.name"] == "anthropic"
    assert attrs["gen_ai.usage.output_tokens"] == 9


def test_two_choices_streamed(exporter: InMemorySpanExporter, openai_args: dict[str, Any]) -> None:
    texts: dict[int, str] = {}
    for chunk in _stream(openai_args, n=2):
        for choice in chunk.choices:
            texts[choice.index] = texts.get(choice.index, "") + (choice.delta.content or "")
    (span,) = exporter.get_finished_spans()
    messages = json.loads(str((span.attributes or {})["gen_ai.output.messages"]))
    recorded = ["".join(p["content"] for p in m["parts"]) for m in messages]
    assert recorded == [texts[i] for i in sorted(texts)]  # what the app received, per choice
    assert recorded[0] == TEXT  # (LiteLLM 1.60 passes the first choice only)
    assert (span.attributes or {})["gen_ai.request.choice.count"] == 2


def test_error_mid_stream(exporter: InMemorySpanExporter, anthropic_args: dict[str, Any]) -> None:
    received = ""
    with pytest.raises(Exception) as raised:  # LiteLLM's class varies by version
        for chunk in _stream(anthropic_args, "anthropic/stream-error", max_tokens=64):
            received += chunk.choices[0].delta.content or ""
    assert received  # some text arrived before the error
    (span,) = exporter.get_finished_spans()
    assert span.status.status_code.name == "ERROR"
    assert (span.attributes or {})["error.type"] == type(raised.value).__name__
    assert output_text(span) == received


def test_the_proxy_has_the_methods_the_stream_has(openai_args: dict[str, Any]) -> None:
    stream = _stream(openai_args)
    for name in ("close", "aclose", "__enter__", "__aenter__", "__next__", "__anext__"):
        assert hasattr(stream, name) == hasattr(litellm.CustomStreamWrapper, name), name
    if not CLOSABLE:
        with pytest.raises(AttributeError):
            stream.close()
    list(stream)


@needs_close
async def test_async_stream_close_is_a_plain_call(
    exporter: InMemorySpanExporter, openai_args: dict[str, Any]
) -> None:
    stream = await _astream(openai_args, "m")
    await stream.__anext__()
    assert stream.close() is None  # LiteLLM's close() is a plain call, also here
    (span,) = exporter.get_finished_spans()
    assert span.end_time is not None and span.status.status_code.name == "UNSET"
