"""The chat and stream tests that every Chat-Completions-shaped API shares, written once.

A library's test module binds them with a case, as tests/_lib/contract_cases.py does for
the instrumentor contract: ``class TestChat(ChatContract): case = ChatCase(...)`` (groq,
litellm, mistralai) and ``class TestStream(StreamContract): case = StreamCase(...)``
(openai, groq, litellm: the streams that yield Chat Completions chunks). The bodies ask
for the fixtures each library's conftest gives: ``client`` and ``async_client`` (what the
case's calls take: an SDK client, or LiteLLM's call arguments), ``fake_server``,
``autolog`` and ``exporter``. What is a library's own (routing, raw responses, its error
classes, its stream extensions) stays in its folder, beside the bound class.
"""

from __future__ import annotations

import gc
import importlib
import json
import socket
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import semconv_check
from _support import loads, span_dict
from fake_openai import TEXT

MESSAGES = [{"role": "user", "content": "Weather in Paris?"}]
SYSTEM = {"role": "system", "content": "You are terse."}
TOOLS: list[dict[str, Any]] = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "The weather in a city",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
]
COMPACT: dict[str, Any] = {"separators": (",", ":")}
# gen_ai.input.messages of [SYSTEM, *MESSAGES].
INPUT_MESSAGES = json.dumps(
    [
        {"role": "system", "parts": [{"type": "text", "content": "You are terse."}]},
        {"role": "user", "parts": [{"type": "text", "content": "Weather in Paris?"}]},
    ],
    **COMPACT,
)
# The two calls fake_openai streams for the model ``tools``.
STREAMED_TOOL_CALLS = [
    {"type": "tool_call", "name": "get_weather", "id": "call_1", "arguments": {"city": "Paris"}},
    {"type": "tool_call", "name": "get_time", "id": "call_2", "arguments": {"tz": "CET"}},
]


def check_semconv(span: ReadableSpan) -> None:
    if semconv_check.available():
        semconv_check.check_attributes(dict(span.attributes or {}))


def only_span(exporter: InMemorySpanExporter) -> ReadableSpan:
    """The one finished span, its GenAI attributes checked against the semantic conventions."""
    (span,) = exporter.get_finished_spans()
    check_semconv(span)
    return span


def output_text(span: ReadableSpan) -> str:
    """The text parts of the span's one output message, joined."""
    (message,) = loads((span.attributes or {})["gen_ai.output.messages"])
    return "".join(p["content"] for p in message["parts"] if p["type"] == "text")


def first_client_span(name: str, attributes: dict[str, Any]) -> dict[str, Any]:
    """The snapshot (``span_dict``) of a test's first span: a CLIENT root that succeeded."""
    head = {"name": name, "kind": "CLIENT", "trace_id": 1, "span_id": 1, "parent_id": None}
    return {**head, "status": "UNSET", "attributes": attributes}


def output_messages(text: str) -> str:
    """gen_ai.output.messages of one answer ``text`` that stopped."""
    message = {"role": "assistant", "parts": [{"type": "text", "content": text}]}
    return json.dumps([{**message, "finish_reason": "stop"}], **COMPACT)


def dead_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def assert_failed(span: ReadableSpan, error_type: str) -> dict[str, Any]:
    """The span of a call that raised: ERROR, ``error_type``, one exception event, no
    output; its snapshot."""
    snapshot = span_dict(span)
    assert snapshot["status"] == "ERROR"
    assert snapshot["attributes"]["error.type"] == error_type
    assert [e["name"] for e in snapshot["events"]] == ["exception"]
    assert "gen_ai.output.messages" not in snapshot["attributes"]
    return snapshot


def openai_assistant_turn(message: Any) -> dict[str, Any]:
    """A response's tool-calling message as the app sends it back: Chat Completions dicts."""
    calls = [
        {
            "id": call.id,
            "type": "function",
            "function": {"name": call.function.name, "arguments": call.function.arguments},
        }
        for call in message.tool_calls
    ]
    return {"role": "assistant", "tool_calls": calls}


OPENAI_USAGE_DETAILS = {
    "gen_ai.usage.cache_read.input_tokens": 4,
    "gen_ai.usage.reasoning.output_tokens": 2,
}


@dataclass(frozen=True)
class ChatCase:
    """One library's chat call under ChatContract."""

    provider: str  # gen_ai.provider.name
    chat: Callable[..., Any]  # (client, **Chat Completions kwargs incl. seed) -> response
    achat: Callable[..., Awaitable[Any]]  # the same, awaited, with ``async_client``
    model: str  # the model as the span names it
    response_model: str
    text: str  # the fake's answer
    path: str  # the request path the fake server saw
    response_id: str = "chatcmpl-123"
    usage_details: Mapping[str, int] = field(default_factory=lambda: OPENAI_USAGE_DETAILS)
    tool_call_id: str = "call_demo"
    tool_finish_reason: str = "tool_calls"  # in the output message (Mistral's: "tool_call")
    # The assistant's tool call as the app appends it to the history.
    assistant_turn: Callable[[Any], Any] = openai_assistant_turn
    tool_turn: Mapping[str, str] = field(default_factory=dict[str, str])  # more tool-message keys


class ChatContract:
    """Whole chat spans, the tool round trip and the async twin."""

    case: ClassVar[ChatCase]

    def test_whole_span(
        self, client: Any, exporter: InMemorySpanExporter, fake_server: Any
    ) -> None:
        case = self.case
        response = case.chat(
            client,
            model=case.model,
            messages=[SYSTEM, *MESSAGES],
            max_tokens=256,
            temperature=0.2,
            top_p=0.9,
            seed=7,
            stop=["\n\n"],
            presence_penalty=0.5,
            frequency_penalty=0.25,
            response_format={"type": "json_object"},
        )
        assert response.choices[0].message.content == case.text
        assert fake_server.requests[-1]["path"] == case.path
        assert span_dict(only_span(exporter)) == first_client_span(
            f"chat {case.model}",
            {
                "gen_ai.operation.name": "chat",
                "gen_ai.provider.name": case.provider,
                "gen_ai.request.model": case.model,
                "gen_ai.request.max_tokens": 256,
                "gen_ai.request.temperature": 0.2,
                "gen_ai.request.top_p": 0.9,
                "gen_ai.request.seed": 7,
                "gen_ai.request.stop_sequences": ("\n\n",),
                "gen_ai.request.presence_penalty": 0.5,
                "gen_ai.request.frequency_penalty": 0.25,
                "gen_ai.output.type": "json",
                "server.address": "127.0.0.1",
                "server.port": fake_server.port,
                "spanwise.span.type": "CHAT_MODEL",
                "gen_ai.input.messages": json.dumps(
                    [
                        {
                            "role": "system",
                            "parts": [{"type": "text", "content": "You are terse."}],
                        },
                        {
                            "role": "user",
                            "parts": [{"type": "text", "content": "Weather in Paris?"}],
                        },
                    ],
                    **COMPACT,
                ),
                "gen_ai.response.id": case.response_id,
                "gen_ai.response.model": case.response_model,
                "gen_ai.response.finish_reasons": ("stop",),
                "gen_ai.usage.input_tokens": 12,
                "gen_ai.usage.output_tokens": 9,
                **case.usage_details,
                "gen_ai.output.messages": output_messages(case.text),
            },
        )

    def test_tool_calls_and_tool_results(self, client: Any, exporter: InMemorySpanExporter) -> None:
        case = self.case
        first = case.chat(client, model=case.model, messages=MESSAGES, tools=TOOLS)
        message = first.choices[0].message
        (call,) = message.tool_calls
        history = [
            *MESSAGES,
            case.assistant_turn(message),
            {"role": "tool", **case.tool_turn, "tool_call_id": call.id, "content": "21 C"},
        ]
        second = case.chat(client, model=case.model, messages=history, tools=TOOLS)
        assert second.choices[0].message.content == "Here is what I found: 21 C"
        asked, answered = exporter.get_finished_spans()
        attrs = asked.attributes or {}
        assert attrs["gen_ai.response.finish_reasons"] == ("tool_calls",)
        assert loads(attrs["gen_ai.tool.definitions"]) == [
            {
                "type": "function",
                "name": "get_weather",
                "description": "The weather in a city",
                "parameters": TOOLS[0]["function"]["parameters"],
            }
        ]
        tool_call = {
            "type": "tool_call",
            "name": "get_weather",
            "id": case.tool_call_id,
            "arguments": {"city": "Paris"},
        }
        assert loads(attrs["gen_ai.output.messages"]) == [
            {"role": "assistant", "parts": [tool_call], "finish_reason": case.tool_finish_reason}
        ]
        inputs = loads((answered.attributes or {})["gen_ai.input.messages"])
        assert inputs[1] == {"role": "assistant", "parts": [tool_call]}
        assert inputs[2] == {
            "role": "tool",
            "parts": [{"type": "tool_call_response", "id": case.tool_call_id, "response": "21 C"}],
            **case.tool_turn,
        }
        for span in (asked, answered):
            check_semconv(span)

    async def test_async_tool_call(self, async_client: Any, exporter: InMemorySpanExporter) -> None:
        case = self.case
        response = await case.achat(async_client, model=case.model, messages=MESSAGES, tools=TOOLS)
        assert response.choices[0].message.tool_calls[0].id == case.tool_call_id
        span = only_span(exporter)
        attrs = span.attributes or {}
        assert span.name == f"chat {case.model}"
        assert attrs["gen_ai.provider.name"] == case.provider
        assert loads(attrs["gen_ai.output.messages"])[0]["parts"][0]["type"] == "tool_call"
        assert attrs["gen_ai.response.finish_reasons"] == ("tool_calls",)


@dataclass(frozen=True)
class StreamCase:
    """One library's Chat Completions stream under StreamContract (against fake_openai)."""

    provider: str
    model: str  # as the span names it
    stream: Callable[..., Any]  # (client, **kwargs incl. model) -> the stream (stream=True)
    astream: Callable[..., Awaitable[Any]]  # the same, awaited, with ``async_client``
    classes: Callable[[], tuple[type, type]]  # the SDK's own (sync, async) stream classes
    usage: Mapping[str, Any]  # what makes the stream carry usage (when it is asked for)
    closable: bool = True  # the SDK's stream has close() and is a context manager
    aclose: str = "close"  # the async stream's closing coroutine (LiteLLM's: aclose)


def stainless_stream_case(
    provider: str, model: str, sdk: str, usage: Mapping[str, Any]
) -> StreamCase:
    """The case of a Stainless SDK (openai, groq): ``client.chat.completions.create``,
    the same call awaited on its async client, its ``Stream``/``AsyncStream``."""

    def stream(client: Any, **kwargs: Any) -> Any:
        return client.chat.completions.create(messages=MESSAGES, stream=True, **kwargs)

    def classes() -> tuple[type, type]:
        module = importlib.import_module(sdk)
        return module.Stream, module.AsyncStream

    return StreamCase(provider, model, stream, stream, classes, usage)


class StreamContract:
    """One ended span in every way a stream can end, with what was received."""

    case: ClassVar[StreamCase]

    def _closable(self) -> None:
        if not self.case.closable:
            pytest.skip("this SDK's stream has no close() and is no context manager")

    def test_stream_consumed_fully(self, client: Any, exporter: InMemorySpanExporter) -> None:
        case = self.case
        stream = case.stream(client, model=case.model, **case.usage)
        assert isinstance(stream, case.classes()[0])  # the SDK's own class, behind the proxy
        text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
        assert text == TEXT
        span = only_span(exporter)
        attrs = span.attributes or {}
        assert span.name == f"chat {case.model}"
        assert output_text(span) == TEXT
        assert attrs["gen_ai.request.stream"] is True
        assert attrs["gen_ai.provider.name"] == case.provider
        assert attrs["gen_ai.response.id"] == "chatcmpl-123"
        assert attrs["gen_ai.response.finish_reasons"] == ("stop",)
        assert attrs["gen_ai.usage.input_tokens"] == 12
        assert attrs["gen_ai.usage.output_tokens"] == 9
        assert attrs["gen_ai.usage.cache_read.input_tokens"] == 4
        assert attrs["gen_ai.response.time_to_first_chunk"] > 0  # type: ignore[operator]

    def test_stream_in_a_with_block(self, client: Any, exporter: InMemorySpanExporter) -> None:
        self._closable()
        with self.case.stream(client, model=self.case.model) as stream:
            first = next(iter(stream))
            assert first.choices[0].delta.role == "assistant"
            assert exporter.get_finished_spans() == ()  # still streaming
        (span,) = exporter.get_finished_spans()
        assert span.status.status_code.name == "UNSET"

    @pytest.mark.parametrize("how", ["break then del", "close", "abandoned"])
    def test_stream_stopped_early(
        self, client: Any, exporter: InMemorySpanExporter, how: str
    ) -> None:
        if how == "close":
            self._closable()
        stream = self.case.stream(
            client, model=self.case.model, extra_body={"x_chunks": 10}, **self.case.usage
        )
        received = ""
        chunk: Any = None
        for chunk in stream:
            received += chunk.choices[0].delta.content or ""
            if len(received) >= 10:
                break
        if how == "close":
            stream.close()
            assert len(exporter.get_finished_spans()) == 1
        if how != "abandoned":
            del stream, chunk
        else:
            stream = chunk = None
        gc.collect()
        (span,) = exporter.get_finished_spans()  # exactly one, ended
        attrs = span.attributes or {}
        assert span.end_time is not None
        assert output_text(span) == received  # the content received so far
        assert "gen_ai.usage.input_tokens" not in attrs  # asked for, never reached
        assert attrs.get("gen_ai.response.finish_reasons", ("error",)) == ("error",)

    def test_streamed_tool_call_deltas(self, client: Any, exporter: InMemorySpanExporter) -> None:
        for _ in self.case.stream(client, model="tools", **self.case.usage):
            pass
        attrs = only_span(exporter).attributes or {}
        (message,) = loads(attrs["gen_ai.output.messages"])
        assert message["finish_reason"] == "tool_calls"
        assert message["parts"] == STREAMED_TOOL_CALLS
        assert attrs["gen_ai.usage.output_tokens"] == 9

    async def test_async_stream(self, async_client: Any, exporter: InMemorySpanExporter) -> None:
        case = self.case
        stream = await case.astream(async_client, model=case.model, **case.usage)
        assert isinstance(stream, case.classes()[1])
        text = ""
        async for chunk in stream:
            text += chunk.choices[0].delta.content or "" if chunk.choices else ""
        assert text == TEXT
        span = only_span(exporter)
        assert output_text(span) == TEXT
        assert (span.attributes or {})["gen_ai.usage.output_tokens"] == 9

    async def test_async_stream_closed_early(
        self, async_client: Any, exporter: InMemorySpanExporter
    ) -> None:
        self._closable()
        case = self.case
        async with await case.astream(async_client, model=case.model) as early:
            async for _ in early:
                break
        closed = await case.astream(async_client, model=case.model)
        await closed.__anext__()
        await getattr(closed, case.aclose)()
        spans = exporter.get_finished_spans()
        assert len(spans) == 2
        for span in spans:
            assert span.end_time is not None and span.status.status_code.name == "UNSET"
