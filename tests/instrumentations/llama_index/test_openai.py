"""LlamaIndex's OpenAI LLM and embeddings (llama-index-llms-openai) against the local fake
OpenAI server, with spanwise's OpenAI instrumentor on too: one model span per call.

llama-index-llms-openai needs openai<3: these run in the venv `make test` builds for them
(.venv-llamaindex) and skip elsewhere.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

pytest.importorskip("llama_index.llms.openai", reason="needs llama-index-llms-openai")

import semconv_check
from fake_openai import CANARY_KEY, FakeOpenAI

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def fake_server() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI().start()
    yield server
    server.stop()


@pytest.fixture
def both(autolog: None) -> Iterator[None]:
    """spanwise.openai.autolog() on too: the SDK call under LlamaIndex's model span."""
    import spanwise

    spanwise.openai.autolog()
    yield
    spanwise.openai.autolog(disable=True)


@pytest.fixture
def llm(fake_server: FakeOpenAI) -> Any:
    from llama_index.llms.openai import OpenAI

    return OpenAI(
        model="gpt-4o-mini",
        api_base=fake_server.base_url,
        api_key=CANARY_KEY,
        max_retries=0,
        temperature=0.5,
    )


def _user(text: str) -> Any:
    from llama_index.core.base.llms.types import ChatMessage

    return [ChatMessage(role="user", content=text)]


def _scopes(exporter: InMemorySpanExporter) -> list[tuple[str, str]]:
    return [
        (s.name, (s.instrumentation_scope.name if s.instrumentation_scope else ""))
        for s in exporter.get_finished_spans()
    ]


def test_chat_is_one_model_span(
    both: None, llm: Any, fake_server: FakeOpenAI, exporter: InMemorySpanExporter
) -> None:
    response = llm.chat(_user("hello"))
    assert response.message.content
    assert _scopes(exporter) == [("chat gpt-4o-mini", "spanwise.instrumentations.llama_index")]
    (span,) = exporter.get_finished_spans()
    attrs = dict(span.attributes or {})
    assert attrs["server.address"] == "127.0.0.1"
    assert attrs["server.port"] == fake_server.port
    assert attrs["gen_ai.request.temperature"] == 0.5
    assert attrs["gen_ai.response.id"] == "chatcmpl-123"
    assert attrs["gen_ai.response.model"] == "gpt-4o-mini-2024-07-18"
    assert attrs["gen_ai.response.finish_reasons"] == ("stop",)
    assert isinstance(attrs["gen_ai.usage.input_tokens"], int)
    assert json.loads(attrs["gen_ai.output.messages"])[0]["finish_reason"] == "stop"
    assert CANARY_KEY not in repr(attrs)
    if semconv_check.available():
        semconv_check.check_attributes(attrs)


def test_stream_is_one_model_span(
    both: None, llm: Any, exporter: InMemorySpanExporter, tree: Callable[[], list[Any]]
) -> None:
    text = "".join(r.delta or "" for r in llm.stream_chat(_user("hello")))
    assert text
    assert _scopes(exporter) == [("chat gpt-4o-mini", "spanwise.instrumentations.llama_index")]
    # The stream over: a model call after it is traced again.
    llm.chat(_user("again"))
    assert len(exporter.get_finished_spans()) == 2


async def test_async_stream_is_one_model_span(
    both: None, llm: Any, exporter: InMemorySpanExporter
) -> None:
    stream = await llm.astream_chat(_user("hello"))
    async for _ in stream:
        pass
    assert _scopes(exporter) == [("chat gpt-4o-mini", "spanwise.instrumentations.llama_index")]


async def test_agent_with_openai(
    both: None, llm: Any, exporter: InMemorySpanExporter, tree: Callable[[], list[Any]]
) -> None:
    pytest.importorskip(
        "llama_index.core.agent.workflow", reason="this llama-index-core has no workflow agents"
    )
    from llama_index.core.agent.workflow import FunctionAgent
    from llama_index.core.tools import FunctionTool

    if "streaming" not in FunctionAgent.model_fields:
        pytest.skip("FunctionAgent streams always before llama-index-core 0.13")

    def get_weather(city: str) -> str:
        """The weather in a city."""
        return f"sunny in {city}"

    tools = [FunctionTool.from_defaults(get_weather)]
    # Not streamed: the fake server answers tool calls on plain chat completions.
    agent = FunctionAgent(name="weather", tools=tools, llm=llm, streaming=False)
    result = await agent.run(user_msg="weather in Paris?")
    assert "sunny in Paris" in str(result)
    assert tree() == [
        ("invoke_agent weather", "INTERNAL", "invoke_agent", None),
        ("chat gpt-4o-mini", "CLIENT", "chat", "invoke_agent weather"),
        ("execute_tool get_weather", "INTERNAL", "execute_tool", "invoke_agent weather"),
        ("chat gpt-4o-mini", "CLIENT", "chat", "invoke_agent weather"),
    ]
    tool = next(s for s in exporter.get_finished_spans() if s.name.startswith("execute_tool"))
    assert (tool.attributes or {})["gen_ai.tool.call.id"] == "call_demo"
    assert CANARY_KEY not in repr([dict(s.attributes or {}) for s in exporter.get_finished_spans()])


def test_embeddings_is_one_span(
    both: None, fake_server: FakeOpenAI, exporter: InMemorySpanExporter
) -> None:
    from llama_index.embeddings.openai import OpenAIEmbedding

    model = OpenAIEmbedding(
        model="text-embedding-3-small", api_base=fake_server.base_url, api_key=CANARY_KEY
    )
    assert len(model.get_query_embedding("hello")) == 8
    assert _scopes(exporter) == [
        ("embeddings text-embedding-3-small", "spanwise.instrumentations.llama_index")
    ]
    (span,) = exporter.get_finished_spans()
    assert (span.attributes or {})["gen_ai.embeddings.dimension.count"] == 8
