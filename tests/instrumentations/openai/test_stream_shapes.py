"""Malformed and unexpected response shapes: the app gets exactly what it gets
uninstrumented, every span ends, and what arrived is recorded as well as it can be.

The malformed bodies are generated from fake_openai's canned answers (keys dropped,
nulls, wrong types, lists where objects are expected and objects where lists are),
for plain and streamed calls, and served in process (``mock_client``). Internal errors
re-raise under tests (conftest), so an error inside spanwise shows as a changed outcome.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import openai
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import spanwise
from spanwise.instrumentations.openai._stream_handlers import ChatStreamHandler

import fake_openai
from fake_openai import TEXT
from fake_server import mock_client
from malformed import Served, cases, differences

MESSAGES = [{"role": "user", "content": "Weather in Paris?"}]

# The SDKs' own models warn when they dump a field of the wrong type: expected here.
pytestmark = pytest.mark.filterwarnings("ignore:Pydantic serializer warnings")


@pytest.fixture
def served() -> Served:
    return Served(fake_openai.respond)


@pytest.fixture
def mock_openai(served: Served) -> Any:
    return openai.OpenAI(
        base_url="http://fake.test/v1", api_key="k", max_retries=0, http_client=mock_client(served)
    )


@pytest.fixture
def mock_async_openai(served: Served) -> Any:
    try:  # what the SDK uses (openai 3.x: httpx2)
        import httpx2 as httpx
    except ImportError:
        import httpx  # type: ignore[no-redef]

    async def handler(request: Any) -> Any:
        status, content_type, data = served(request.url.path, json.loads(request.content or b"{}"))
        return httpx.Response(status, headers={"content-type": content_type}, content=data)

    transport = httpx.MockTransport(handler)
    return openai.AsyncOpenAI(
        base_url="http://fake.test/v1",
        api_key="k",
        max_retries=0,
        http_client=httpx.AsyncClient(transport=transport),
    )


def _attrs(exporter: InMemorySpanExporter) -> dict[str, Any]:
    (span,) = exporter.get_finished_spans()
    return dict(span.attributes or {})


def _output_text(attrs: dict[str, Any]) -> str:
    (message,) = json.loads(attrs["gen_ai.output.messages"])
    return "".join(p["content"] for p in message["parts"] if p["type"] == "text")


# -- the reported shapes: delta content as a list of parts, or a number --------------------


def _content_as(make: Callable[[str], Any]) -> Callable[[Any], Any]:
    def rewrite(chunk: Any) -> Any:
        for choice in chunk.get("choices") or []:
            delta = choice.get("delta") or {}
            if delta.get("content"):
                delta["content"] = make(delta["content"])
        return chunk

    return rewrite


@pytest.mark.parametrize("include_usage", [False, True])
def test_stream_delta_content_as_a_list_of_parts(
    autolog: None,
    mock_openai: Any,
    served: Served,
    exporter: InMemorySpanExporter,
    include_usage: bool,
) -> None:
    served.rewrite = _content_as(lambda text: [{"type": "text", "text": text}, {"type": "x"}])
    stream = mock_openai.chat.completions.create(
        model="gpt-4o-mini",
        messages=MESSAGES,
        stream=True,
        stream_options={"include_usage": include_usage},
    )
    received = [c.choices[0].delta.content for c in stream if c.choices]
    assert received[1] == [{"type": "text", "text": TEXT[:10]}, {"type": "x"}]  # untouched
    attrs = _attrs(exporter)
    assert _output_text(attrs) == TEXT  # the parts that carry text, as text
    assert attrs["gen_ai.response.finish_reasons"] == ("stop",)
    assert ("gen_ai.usage.input_tokens" in attrs) is include_usage


def test_stream_delta_content_as_a_number(
    autolog: None, mock_openai: Any, served: Served, exporter: InMemorySpanExporter
) -> None:
    served.rewrite = _content_as(lambda text: 42)
    stream = mock_openai.chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, stream=True
    )
    assert [c.choices[0].delta.content for c in stream][1:3] == [42, 42]
    attrs = _attrs(exporter)
    assert _output_text(attrs) == "42" * 5  # each number as its string
    assert attrs["gen_ai.response.finish_reasons"] == ("stop",)


def test_stream_of_mixed_shapes_records_what_it_can(
    autolog: None, mock_openai: Any, served: Served, exporter: InMemorySpanExporter
) -> None:
    """Text, a number, parts, a bare string list and an object in one stream."""
    shapes = iter([7, [{"type": "text", "text": "b"}, "c"], {"text": "d"}, ["e", 1.5], None])

    def rewrite(chunk: Any) -> Any:
        for choice in chunk.get("choices") or []:
            delta = choice.get("delta") or {}
            if delta.get("content"):
                delta["content"] = next(shapes, "z")
        return chunk

    served.rewrite = rewrite
    list(mock_openai.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True))
    assert _output_text(_attrs(exporter)) == "7bcde1.5"


@pytest.mark.parametrize(
    ("content", "text"),
    [
        ([{"type": "text", "text": "a"}, "b"], "ab"),
        (42, "42"),
        ({"type": "text", "text": "c"}, "c"),
    ],
)
def test_response_content_of_other_shapes_is_recorded_as_text(
    autolog: None,
    mock_openai: Any,
    served: Served,
    exporter: InMemorySpanExporter,
    content: Any,
    text: str,
) -> None:
    def rewrite(body: Any) -> Any:
        body["choices"][0]["message"]["content"] = content
        return body

    served.rewrite = rewrite
    response = mock_openai.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert response.choices[0].message.content == content  # untouched
    assert _output_text(_attrs(exporter)) == text


def _boom(*args: Any) -> None:
    raise RuntimeError("spanwise failed")


@pytest.mark.parametrize("loud", [True, False])
def test_a_failure_recording_a_stream_still_ends_its_span(
    autolog: None,
    mock_openai: Any,
    exporter: InMemorySpanExporter,
    monkeypatch: pytest.MonkeyPatch,
    loud: bool,
) -> None:
    """Under tests the internal error re-raises (after the span ended); in production the
    app never sees it."""
    monkeypatch.setattr(ChatStreamHandler, "_record", _boom)
    if not loud:
        monkeypatch.setenv("SPANWISE_RAISE_INTERNAL_ERRORS", "0")
    stream = mock_openai.chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, stream=True
    )
    if loud:
        with pytest.raises(RuntimeError, match="spanwise failed"):
            list(stream)
    else:
        assert len(list(stream)) == 7
    (span,) = exporter.get_finished_spans()  # ended, exported
    assert span.attributes["gen_ai.request.stream"] is True  # type: ignore[index]


@pytest.mark.parametrize("is_async", [False, True])
async def test_a_failure_on_every_chunk_leaves_the_stream_working(
    autolog: None,
    mock_openai: Any,
    mock_async_openai: Any,
    exporter: InMemorySpanExporter,
    monkeypatch: pytest.MonkeyPatch,
    is_async: bool,
) -> None:
    monkeypatch.setattr(ChatStreamHandler, "_process_chunk", _boom)
    monkeypatch.setenv("SPANWISE_RAISE_INTERNAL_ERRORS", "0")
    kwargs: dict[str, Any] = {"model": "gpt-4o-mini", "messages": MESSAGES, "stream": True}
    if is_async:
        stream = await mock_async_openai.chat.completions.create(**kwargs)
        received = [c.choices[0].delta.content async for c in stream]
    else:
        received = [
            c.choices[0].delta.content for c in mock_openai.chat.completions.create(**kwargs)
        ]
    assert "".join(r or "" for r in received) == TEXT
    (span,) = exporter.get_finished_spans()
    assert span.status.status_code.name == "UNSET"  # ended as a success, nothing recorded


# -- fuzz: malformed bodies, instrumented vs uninstrumented ---------------------------------

# What the app calls, and whether it streams.
CALLS: dict[str, tuple[Callable[[Any], Any], bool]] = {
    "chat": (lambda c: c.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES), False),
    "chat-tools": (lambda c: c.chat.completions.create(model="tools", messages=MESSAGES), False),
    "chat-stream": (
        lambda c: c.chat.completions.create(
            model="gpt-4o-mini",
            messages=MESSAGES,
            stream=True,
            stream_options={"include_usage": True},
            extra_body={"x_chunks": 2},
        ),
        True,
    ),
    "chat-stream-tools": (
        lambda c: c.chat.completions.create(model="tools", messages=MESSAGES, stream=True),
        True,
    ),
    "embeddings": (lambda c: c.embeddings.create(model="emb", input=["a", "b"]), False),
    "completions": (lambda c: c.completions.create(model="legacy", prompt="hi"), False),
    "completions-stream": (
        lambda c: c.completions.create(
            model="legacy", prompt="hi", stream=True, extra_body={"x_chunks": 2}
        ),
        True,
    ),
    "responses": (lambda c: c.responses.create(model="gpt-4o-mini", input="hi"), False),
    "responses-stream": (
        lambda c: c.responses.create(model="gpt-4o-mini", input="hi", stream=True),
        True,
    ),
}


def _instrument(on: bool) -> None:
    spanwise.openai.autolog(disable=not on)


@pytest.mark.parametrize("call", list(CALLS))
def test_malformed_responses_change_nothing_for_the_app(
    call: str, served: Served, mock_openai: Any, exporter: InMemorySpanExporter
) -> None:
    if call.startswith("responses") and not hasattr(mock_openai, "responses"):
        pytest.skip("this openai SDK has no Responses API (added in 1.66)")
    make, streams = CALLS[call]
    documents: list[Any] = []
    served.rewrite = lambda document: documents.append(document) or document
    result = make(mock_openai)
    if streams:
        list(result)
    found = cases(documents)
    assert len(found) >= 40
    failures = differences(
        found,
        served,
        lambda: make(mock_openai),
        streams,
        _instrument,
        exporter.get_finished_spans,
        exporter.clear,
    )
    assert not failures, f"{len(failures)} of {len(found)}:\n" + "\n".join(failures[:20])


async def test_async_stream_of_list_content(
    autolog: None, mock_async_openai: Any, served: Served, exporter: InMemorySpanExporter
) -> None:
    served.rewrite = _content_as(lambda text: [{"type": "text", "text": text}])
    stream = await mock_async_openai.chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, stream=True
    )
    received = [c.choices[0].delta.content async for c in stream]
    assert received[1] == [{"type": "text", "text": TEXT[:10]}]
    assert _output_text(_attrs(exporter)) == TEXT
