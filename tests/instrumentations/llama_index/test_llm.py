"""Model calls made directly: chat, completion, streams, nested calls, errors."""

from __future__ import annotations

import gc
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

CANARY = "sk-llamaindex-canary-0123456789abcdef"


def _llm(fail: bool = False) -> Any:
    """A user's CustomLLM: chat goes through complete (two dispatcher model spans)."""
    from llama_index.core.llms import (
        CompletionResponse,
        CompletionResponseGen,
        CustomLLM,
        LLMMetadata,
    )
    from llama_index.core.llms.callbacks import llm_completion_callback

    class Echo(CustomLLM):
        api_key: str = CANARY
        temperature: float = 0.25

        @property
        def metadata(self) -> LLMMetadata:
            return LLMMetadata(model_name="echo-1", is_chat_model=False)

        @llm_completion_callback()
        def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> Any:
            if fail:
                raise ConnectionError(f"upstream refused key {CANARY}")
            return CompletionResponse(text=f"echo: {prompt[-5:]}", raw={"id": "r-1"})

        @llm_completion_callback()
        def stream_complete(
            self, prompt: str, formatted: bool = False, **kwargs: Any
        ) -> CompletionResponseGen:
            def gen() -> Iterator[CompletionResponse]:
                text = ""
                for word in ("a", "b", "c"):
                    if fail and word == "b":
                        raise ConnectionError("stream cut")
                    text += word
                    yield CompletionResponse(text=text, delta=word)

            return gen()

    return Echo()


def _user(text: str) -> Any:
    from llama_index.core.base.llms.types import ChatMessage

    return [ChatMessage(role="user", content=text)]


def test_chat_through_complete_is_one_model_span(
    autolog: None, tree: Callable[[], list[Any]], attrs: Callable[[str], dict[str, Any]]
) -> None:
    response = _llm().chat(_user("hello"))
    assert response.message.content.startswith("echo:")
    assert tree() == [("chat echo-1", "CLIENT", "chat", None)]
    span = attrs("chat echo-1")
    assert span["gen_ai.request.model"] == "echo-1"
    assert span["gen_ai.request.temperature"] == 0.25
    assert span["gen_ai.provider.name"] == "llama_index"
    assert span["gen_ai.response.id"] == "r-1"
    assert json.loads(span["gen_ai.input.messages"]) == [
        {"role": "user", "parts": [{"type": "text", "content": "hello"}]}
    ]


def test_stream_span_ends_when_consumed(
    autolog: None, exporter: InMemorySpanExporter, tree: Callable[[], list[Any]]
) -> None:
    import spanwise

    with spanwise.start_span("app"):
        stream = _llm().stream_complete("hi")
        assert tree() == []
        assert [r.delta for r in stream] == ["a", "b", "c"]
    assert tree() == [
        ("app", "INTERNAL", None, None),
        ("text_completion echo-1", "CLIENT", "text_completion", "app"),
    ]
    (span,) = (s for s in exporter.get_finished_spans() if s.kind.name == "CLIENT")
    output = json.loads((span.attributes or {})["gen_ai.output.messages"])
    assert output[0]["parts"] == [{"type": "text", "content": "abc"}]
    assert "gen_ai.response.time_to_first_chunk" in (span.attributes or {})


@pytest.mark.parametrize("how", ["never started", "stopped early"])
def test_abandoned_stream_ends(
    autolog: None, exporter: InMemorySpanExporter, tree: Callable[[], list[Any]], how: str
) -> None:
    stream = _llm().stream_chat(_user("hi"))
    if how == "stopped early":
        next(stream)
    assert tree() == []
    del stream
    gc.collect()
    assert tree() == [("chat echo-1", "CLIENT", "chat", None)]
    (span,) = exporter.get_finished_spans()
    assert span.status.status_code.name == "UNSET"


def test_stream_error_fails_the_span(autolog: None, exporter: InMemorySpanExporter) -> None:
    stream = _llm(fail=True).stream_complete("hi")
    with pytest.raises(ConnectionError, match="stream cut"):
        list(stream)
    (span,) = exporter.get_finished_spans()
    assert span.status.status_code.name == "ERROR"
    assert (span.attributes or {})["error.type"] == "ConnectionError"


def test_error_passes_through_unchanged_and_no_secret(
    autolog: None, exporter: InMemorySpanExporter
) -> None:
    with pytest.raises(ConnectionError) as raised:
        _llm(fail=True).complete("hi")
    assert CANARY in str(raised.value)  # the app's exception is untouched
    (span,) = exporter.get_finished_spans()
    assert span.status.status_code.name == "ERROR"
    assert (span.attributes or {})["error.type"] == "ConnectionError"
    assert CANARY not in repr([dict(s.attributes or {}) for s in exporter.get_finished_spans()])
    assert CANARY not in repr([e.attributes for e in span.events])
    assert CANARY not in str(span.status.description)


async def test_async_chat_is_one_span(autolog: None, tree: Callable[[], list[Any]]) -> None:
    from llama_index.core.llms import mock

    # achat calls chat (MockFunctionCallingLLM's; a CustomLLM's, before llama-index-core 0.13)
    llm = getattr(mock, "MockFunctionCallingLLM", mock.MockLLM)()
    await llm.achat(_user("hi"))
    assert tree() == [("chat unknown", "CLIENT", "chat", None)]
