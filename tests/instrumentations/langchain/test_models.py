"""Chat models, tools and retrievers: GenAI attributes, parts, and one model span per call."""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

import openai
import pytest
from langchain_core.documents import Document
from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.retrievers import BaseRetriever
from langchain_core.tools import tool
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import spanwise
from spanwise.instrumentations._invocation import in_model_call

import semconv_check
from _support import loads, span_dict
from fake_openai import CANARY_KEY, TEXT

CALL = {"name": "get_weather", "args": {"city": "Paris"}, "id": "call_1", "type": "tool_call"}


@tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


class Docs(BaseRetriever):
    def _get_relevant_documents(self, query: str, *, run_manager: Any) -> list[Document]:
        return [
            Document(id="d1", page_content="Paris is in France.", metadata={"score": 0.9}),
            Document(page_content="Lyon too.", metadata={"source": "wiki/lyon"}),
        ]


def _check(exporter: InMemorySpanExporter) -> None:
    for span in exporter.get_finished_spans():
        semconv_check.check_attributes(span.attributes or {})


def test_tool_calls_and_results_in_parts(autolog: None, exporter: InMemorySpanExporter) -> None:
    model = FakeMessagesListChatModel(responses=[AIMessage(content="", tool_calls=[CALL])])
    history = [
        SystemMessage("You help."),
        HumanMessage("Weather?"),
        AIMessage(content="", tool_calls=[CALL]),
        ToolMessage('{"temp": 21}', tool_call_id="call_1"),
    ]
    reply = model.invoke(history)
    assert reply.tool_calls[0]["name"] == "get_weather"
    (span,) = exporter.get_finished_spans()
    attrs = span_dict(span)["attributes"]
    assert loads(attrs["gen_ai.input.messages"]) == [
        {"role": "system", "parts": [{"type": "text", "content": "You help."}]},
        {"role": "user", "parts": [{"type": "text", "content": "Weather?"}]},
        {
            "role": "assistant",
            "parts": [
                {
                    "type": "tool_call",
                    "id": "call_1",
                    "name": "get_weather",
                    "arguments": {"city": "Paris"},
                }
            ],
        },
        {
            "role": "tool",
            "parts": [{"type": "tool_call_response", "id": "call_1", "response": {"temp": 21}}],
        },
    ]
    assert loads(attrs["gen_ai.output.messages"]) == [
        {
            "role": "assistant",
            "parts": [
                {
                    "type": "tool_call",
                    "id": "call_1",
                    "name": "get_weather",
                    "arguments": {"city": "Paris"},
                }
            ],
            "finish_reason": "tool_call",
        }
    ]
    _check(exporter)


def test_tool_span(autolog: None, exporter: InMemorySpanExporter) -> None:
    message = get_weather.invoke(CALL)  # with a tool call: a ToolMessage comes back
    assert message.content == "sunny in Paris"
    (span,) = exporter.get_finished_spans()
    got = span_dict(span)
    assert got["name"] == "execute_tool get_weather" and got["kind"] == "INTERNAL"
    assert {k: v for k, v in got["attributes"].items() if k != "spanwise.run.id"} == {
        "spanwise.span.type": "TOOL",
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": "get_weather",
        "gen_ai.tool.call.id": "call_1",
        "gen_ai.tool.description": "The weather in a city.",
        "gen_ai.tool.type": "function",
        "gen_ai.tool.call.arguments": '{"city":"Paris"}',
        "gen_ai.tool.call.result": '"sunny in Paris"',
    }
    _check(exporter)


def test_tool_error_passes_through(autolog: None, exporter: InMemorySpanExporter) -> None:
    @tool
    def broken(x: int) -> int:
        """Fails."""
        raise KeyError("nope")

    with pytest.raises(KeyError):
        broken.invoke({"x": 1})
    (span,) = exporter.get_finished_spans()
    assert span.name == "execute_tool broken"
    assert span.status.status_code.name == "ERROR"
    assert span.attributes["error.type"] == "KeyError"  # type: ignore[index]


def test_retriever_span(autolog: None, exporter: InMemorySpanExporter) -> None:
    assert len(Docs().invoke("where is Paris?")) == 2
    (span,) = exporter.get_finished_spans()
    got = span_dict(span)
    assert (got["name"], got["kind"]) == ("retrieval Docs", "CLIENT")
    attrs = got["attributes"]
    assert attrs["gen_ai.operation.name"] == "retrieval"
    assert attrs["gen_ai.data_source.id"] == "Docs"
    assert attrs["gen_ai.retrieval.query.text"] == "where is Paris?"
    # Only scored documents fit the conventions' schema; all are the span's outputs.
    assert loads(attrs["gen_ai.retrieval.documents"]) == [
        {"id": "d1", "score": 0.9, "content": "Paris is in France."}
    ]
    outputs = loads(attrs["spanwise.span.outputs"])
    assert [d["page_content"] for d in outputs] == ["Paris is in France.", "Lyon too."]
    _check(exporter)


# -- ChatOpenAI over the OpenAI SDK: one model span per call ---------------------------------


def _one_model_span(exporter: InMemorySpanExporter) -> dict[str, Any]:
    spans = exporter.get_finished_spans()
    assert [(s.name, s.instrumentation_scope.name) for s in spans] == [  # type: ignore[union-attr]
        ("chat gpt-4o-mini", "spanwise.instrumentations.langchain")
    ]
    return span_dict(spans[0])


# langchain-openai keeps the response id in the message since 0.3.
RESPONSE_ID = (
    {"gen_ai.response.id": "chatcmpl-123"}
    if tuple(int(p) for p in version("langchain-openai").split(".")[:2]) >= (0, 3)
    else {}
)


def test_chat_openai_invoke_one_span(
    with_openai: None, chat_openai: Any, exporter: InMemorySpanExporter
) -> None:
    assert chat_openai.invoke("Weather?").content == TEXT
    got = _one_model_span(exporter)
    assert got["kind"] == "CLIENT" and got["parent_id"] is None
    attrs = {k: v for k, v in got["attributes"].items() if k != "spanwise.run.id"}
    assert attrs == {
        **RESPONSE_ID,
        "spanwise.span.type": "CHAT_MODEL",
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.temperature": 0.2,
        "gen_ai.input.messages": '[{"role":"user","parts":[{"type":"text","content":"Weather?"}]}]',
        "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
        "gen_ai.response.finish_reasons": ("stop",),
        "gen_ai.usage.input_tokens": 12,
        "gen_ai.usage.output_tokens": 9,
        "gen_ai.usage.cache_read.input_tokens": 4,
        "gen_ai.usage.reasoning.output_tokens": 2,
        "gen_ai.output.messages": (
            '[{"role":"assistant","parts":[{"type":"text","content":"' + TEXT + '"}],'
            '"finish_reason":"stop"}]'
        ),
    }
    assert not in_model_call()
    _check(exporter)


def test_chat_openai_stream_one_span_and_no_leak(
    with_openai: None, chat_openai: Any, fake_server: Any, exporter: InMemorySpanExporter
) -> None:
    stream = chat_openai.stream("Weather?")
    first = next(stream)
    # Between two chunks the consumer's own SDK call is not "inside" the model call.
    assert not in_model_call()
    client = openai.OpenAI(base_url=fake_server.base_url, api_key=CANARY_KEY, max_retries=0)
    client.chat.completions.create(model="mine", messages=[{"role": "user", "content": "hi"}])
    text = first.content + "".join(c.content for c in stream)
    assert text == TEXT
    spans = exporter.get_finished_spans()
    assert sorted((s.name, s.instrumentation_scope.name) for s in spans) == [  # type: ignore[union-attr]
        ("chat gpt-4o-mini", "spanwise.instrumentations.langchain"),
        ("chat mine", "spanwise.instrumentations.openai"),
    ]
    model = next(s for s in spans if s.name == "chat gpt-4o-mini")
    assert model.attributes["gen_ai.response.time_to_first_chunk"] > 0  # type: ignore[index, operator]
    assert model.attributes["gen_ai.request.stream"] is True  # type: ignore[index]


async def test_chat_openai_async_one_span(
    with_openai: None, chat_openai: Any, exporter: InMemorySpanExporter
) -> None:
    assert (await chat_openai.ainvoke("Weather?")).content == TEXT
    _one_model_span(exporter)
    exporter.clear()
    chunks: list[Any] = []
    async for chunk in chat_openai.astream("Weather?"):
        assert not in_model_call()  # the consumer's code between chunks is not the model's
        chunks.append(chunk.content)
    assert "".join(chunks) == TEXT
    _one_model_span(exporter)
    assert not in_model_call()


def test_chat_openai_batch_and_chain_nest_under_user_span(
    with_openai: None, chat_openai: Any, exporter: InMemorySpanExporter, tree: Any
) -> None:
    @spanwise.trace(name="app")
    def app() -> list[Any]:
        return chat_openai.batch(["a", "b"])

    assert [m.content for m in app()] == [TEXT, TEXT]
    assert tree() == (
        "app [INTERNAL UNKNOWN]\n"
        "  chat gpt-4o-mini [CLIENT CHAT_MODEL]\n"
        "  chat gpt-4o-mini [CLIENT CHAT_MODEL]"
    )


def test_agent_loop_with_bound_tools(
    with_openai: None, chat_openai: Any, exporter: InMemorySpanExporter, tree: Any
) -> None:
    """Model -> tool -> model, as a hand-written agent: two model spans, one tool span."""
    model = chat_openai.bind_tools([get_weather])

    @spanwise.trace(name="agent", span_type="AGENT")
    def agent(question: str) -> str:
        messages: list[Any] = [HumanMessage(question)]
        reply = model.invoke(messages)
        messages.append(reply)
        for call in reply.tool_calls:
            messages.append(get_weather.invoke(call))
        return str(model.invoke(messages).content)

    assert agent("Weather in Paris?")
    assert tree() == (
        "agent [INTERNAL AGENT]\n"
        "  chat gpt-4o-mini [CLIENT CHAT_MODEL]\n"
        "  execute_tool get_weather [INTERNAL TOOL]\n"
        "  chat gpt-4o-mini [CLIENT CHAT_MODEL]"
    )
    _, first, _, second = sorted(exporter.get_finished_spans(), key=lambda s: s.start_time or 0)
    definitions = loads(first.attributes["gen_ai.tool.definitions"])  # type: ignore[index]
    assert definitions[0]["name"] == "get_weather"
    assert loads(first.attributes["gen_ai.output.messages"])[0]["parts"][0]["type"] == "tool_call"  # type: ignore[index]
    last_input = loads(second.attributes["gen_ai.input.messages"])[-1]  # type: ignore[index]
    assert last_input["role"] == "tool"
    assert last_input["parts"][0]["type"] == "tool_call_response"
    _check(exporter)


def test_chat_openai_error_passes_through(
    with_openai: None, fake_server: Any, exporter: InMemorySpanExporter
) -> None:
    from langchain_openai import ChatOpenAI

    model = ChatOpenAI(
        model="error-500",
        base_url=fake_server.base_url,
        api_key=CANARY_KEY,
        max_retries=0,  # pyright: ignore[reportArgumentType]
    )
    with pytest.raises(openai.InternalServerError) as caught:
        model.invoke("hi")
    (span,) = exporter.get_finished_spans()
    assert span.name == "chat error-500" and span.status.status_code.name == "ERROR"
    # What LangChain raises (langchain-openai re-raises the SDK's error as its subclass).
    assert span.attributes["error.type"] == type(caught.value).__qualname__  # type: ignore[index]
    assert not in_model_call()


def test_secret_canary(with_openai: None, chat_openai: Any, exporter: InMemorySpanExporter) -> None:
    chain = chat_openai.bind_tools([get_weather])
    chain.invoke("Weather?")
    list(chat_openai.stream("Weather?"))
    everything = repr([span_dict(s) for s in exporter.get_finished_spans()])
    assert "gpt-4o-mini" in everything
    assert CANARY_KEY not in everything


def test_model_metrics(chat_openai: Any) -> None:
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider

    from spanwise.instrumentations.langchain import LangChainInstrumentor

    reader = InMemoryMetricReader()
    instrumentor = LangChainInstrumentor()
    instrumentor.instrument(
        tracer_provider=TracerProvider(), meter_provider=MeterProvider([reader])
    )
    try:
        chat_openai.invoke("hi")
    finally:
        instrumentor.uninstrument()
    data = reader.get_metrics_data()
    assert data is not None
    points = {
        m.name: list(m.data.data_points)  # type: ignore[union-attr]
        for r in data.resource_metrics
        for s in r.scope_metrics
        for m in s.metrics
    }
    (duration,) = points["gen_ai.client.operation.duration"]
    assert duration.attributes["gen_ai.provider.name"] == "openai"  # type: ignore[index]
    assert duration.attributes["gen_ai.response.model"] == "gpt-4o-mini-2024-07-18"  # type: ignore[index]
    tokens = {p.attributes["gen_ai.token.type"]: p.sum for p in points["gen_ai.client.token.usage"]}  # type: ignore[index, union-attr]
    assert tokens == {"input": 12, "output": 9}
