"""LCEL runnables through spanwise's LangChain handler: whole span trees, every entry point."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import (
    FakeMessagesListChatModel,
    GenericFakeChatModel,
)
from langchain_core.messages import AIMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnableLambda, RunnableParallel
from opentelemetry import trace as otel_trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import spanwise

import semconv_check
from _support import loads, span_dict

PROMPT = ChatPromptTemplate.from_messages([("system", "Be brief."), ("human", "{q}")])
CHAIN_TREE = """RunnableSequence [INTERNAL CHAIN]
  ChatPromptTemplate [INTERNAL CHAIN]
  chat [CLIENT CHAT_MODEL]
  StrOutputParser [INTERNAL CHAIN]"""


def _model(*texts: str) -> FakeMessagesListChatModel:
    return FakeMessagesListChatModel(responses=[AIMessage(content=t) for t in texts])


def _chain(*texts: str) -> Any:
    return PROMPT | _model(*texts) | StrOutputParser()


def _by_name(exporter: InMemorySpanExporter) -> dict[str, dict[str, Any]]:
    return {s.name: span_dict(s) for s in exporter.get_finished_spans()}


def test_invoke_whole_tree_and_spans(
    autolog: None, exporter: InMemorySpanExporter, tree: Any
) -> None:
    out = _chain("Paris.").invoke(
        {"q": "Capital of France?"},
        config={"run_name": "qa", "tags": ["demo"], "metadata": {"user": "u1", "n": 3}},
    )
    assert out == "Paris."
    assert tree() == CHAIN_TREE.replace("RunnableSequence", "qa")
    spans = _by_name(exporter)
    root, model = spans["qa"], spans["chat"]
    assert root["parent_id"] is None and root["status"] == "UNSET"
    assert {k: v for k, v in root["attributes"].items() if k != "spanwise.run.id"} == {
        "spanwise.span.type": "CHAIN",
        "spanwise.run.tags": ("demo",),
        "spanwise.run.metadata.user": "u1",
        "spanwise.run.metadata.n": 3,
        "spanwise.span.inputs": '{"q":"Capital of France?"}',
        "spanwise.span.outputs": '"Paris."',
    }
    assert model["parent_id"] == root["span_id"]
    attrs = model["attributes"]
    assert attrs["gen_ai.operation.name"] == "chat"
    assert attrs["gen_ai.provider.name"] == "fakemessageslistchatmodel"  # its ls_provider
    assert attrs["spanwise.run.tags"] == ("demo",)  # metadata only on the root run
    assert not any(k.startswith("spanwise.run.metadata.") for k in attrs)
    assert loads(attrs["gen_ai.input.messages"]) == [
        {"role": "system", "parts": [{"type": "text", "content": "Be brief."}]},
        {"role": "user", "parts": [{"type": "text", "content": "Capital of France?"}]},
    ]
    assert loads(attrs["gen_ai.output.messages"]) == [
        {
            "role": "assistant",
            "parts": [{"type": "text", "content": "Paris."}],
            "finish_reason": "stop",
        }
    ]
    assert "gen_ai.response.id" not in attrs  # LangChain's own "lc_run--" id is not one
    for span in exporter.get_finished_spans():
        semconv_check.check_attributes(span.attributes or {})


def test_batch_gives_one_tree_per_input(autolog: None, exporter: InMemorySpanExporter) -> None:
    chain = _chain("a", "b", "c")
    assert sorted(chain.batch([{"q": "1"}, {"q": "2"}, {"q": "3"}])) == ["a", "b", "c"]
    spans = exporter.get_finished_spans()
    roots = [s for s in spans if s.name == "RunnableSequence"]
    assert len(roots) == 3 and all(s.parent is None for s in roots)
    root_ids = {s.context.span_id for s in roots}
    children = [s for s in spans if s not in roots]
    assert len(children) == 9  # runs on executor threads still find their parent run
    assert all(s.parent is not None and s.parent.span_id in root_ids for s in children)
    assert len({s.context.trace_id for s in roots}) == 3


def test_stream(autolog: None, exporter: InMemorySpanExporter, tree: Any) -> None:
    chain = PROMPT | GenericFakeChatModel(messages=iter(["one two"])) | StrOutputParser()
    assert "".join(chain.stream({"q": "count"})) == "one two"
    assert tree() == CHAIN_TREE
    model = _by_name(exporter)["chat"]["attributes"]
    assert model["gen_ai.response.time_to_first_chunk"] >= 0
    assert loads(model["gen_ai.output.messages"])[0]["parts"] == [
        {"type": "text", "content": "one two"}
    ]
    assert (
        _by_name(exporter)["RunnableSequence"]["attributes"]["spanwise.span.outputs"] == '"one two"'
    )


async def test_ainvoke_and_astream(
    autolog: None, exporter: InMemorySpanExporter, tree: Any
) -> None:
    assert await _chain("x").ainvoke({"q": "?"}) == "x"
    assert tree() == CHAIN_TREE
    exporter.clear()
    chain = PROMPT | GenericFakeChatModel(messages=iter(["a b"])) | StrOutputParser()
    assert "".join([c async for c in chain.astream({"q": "?"})]) == "a b"
    assert tree() == CHAIN_TREE


async def test_concurrent_async_runs_keep_their_parents(
    autolog: None, exporter: InMemorySpanExporter
) -> None:
    chain = _chain(*"abcdefgh")
    await asyncio.gather(*(chain.ainvoke({"q": str(i)}) for i in range(8)))
    spans = exporter.get_finished_spans()
    by_id = {s.context.span_id: s for s in spans}
    for span in spans:
        if span.name == "RunnableSequence":
            assert span.parent is None
        else:
            parent = by_id[span.parent.span_id]  # type: ignore[union-attr]
            assert parent.name == "RunnableSequence"
            assert parent.context.trace_id == span.context.trace_id
    assert len([s for s in spans if s.name == "chat"]) == 8


def test_parallel_branches_on_threads(
    autolog: None, exporter: InMemorySpanExporter, tree: Any
) -> None:
    parallel = RunnableParallel(
        upper=RunnableLambda(lambda x: x.upper()), lower=RunnableLambda(lambda x: x.lower())
    )
    assert parallel.invoke("Hi") == {"upper": "HI", "lower": "hi"}
    lines = tree().splitlines()
    assert lines[0] == "RunnableParallel<upper,lower> [INTERNAL CHAIN]"
    assert sorted(lines[1:]) == ["  RunnableLambda [INTERNAL CHAIN]"] * 2


def test_nests_under_the_callers_spans(
    autolog: None, exporter: InMemorySpanExporter, tree: Any
) -> None:
    tracer = otel_trace.get_tracer("app")

    @spanwise.trace
    def handle(q: str) -> str:
        with tracer.start_as_current_span("app-step"):
            return _chain("ok").invoke({"q": q})

    assert handle("q") == "ok"
    assert tree() == "handle [INTERNAL UNKNOWN]\n  app-step [INTERNAL None]\n" + "\n".join(
        "    " + line for line in CHAIN_TREE.splitlines()
    )


def test_user_spans_inside_a_runnable_nest_under_its_span(
    autolog: None, exporter: InMemorySpanExporter, tree: Any
) -> None:
    @spanwise.trace(name="inner")
    def inner(x: str) -> str:
        return x * 2

    chain = RunnableLambda(inner, name="double") | RunnableLambda(lambda x: x + "!", name="bang")
    assert chain.invoke("a") == "aa!"
    assert tree() == (
        "RunnableSequence [INTERNAL CHAIN]\n"
        "  double [INTERNAL CHAIN]\n"
        "    inner [INTERNAL UNKNOWN]\n"
        "  bang [INTERNAL CHAIN]"
    )
    # Nothing stays current after the run.
    assert not otel_trace.get_current_span().get_span_context().is_valid


def test_error_passes_through_unchanged(
    autolog: None, exporter: InMemorySpanExporter, tree: Any
) -> None:
    class Boom(ValueError):
        pass

    def fail(_: Any) -> str:
        raise Boom("bad input")

    chain = PROMPT | _model("x") | RunnableLambda(fail, name="fail")
    with pytest.raises(Boom, match="bad input"):
        chain.invoke({"q": "?"})
    assert tree() == (
        "RunnableSequence [INTERNAL CHAIN] !ERROR\n"
        "  ChatPromptTemplate [INTERNAL CHAIN]\n"
        "  chat [CLIENT CHAT_MODEL]\n"
        "  fail [INTERNAL CHAIN] !ERROR"
    )
    failed = _by_name(exporter)["fail"]
    assert failed["attributes"]["error.type"] == "test_error_passes_through_unchanged.<locals>.Boom"
    assert failed["events"][0]["name"] == "exception"
    assert failed["status_description"] == "Boom: bad input"


class Overloaded(RuntimeError):
    pass


class FailingModel(GenericFakeChatModel):
    def _generate(self, *args: Any, **kwargs: Any) -> Any:
        raise Overloaded("try later")


def test_model_error(autolog: None, exporter: InMemorySpanExporter, tree: Any) -> None:
    model = FailingModel(messages=iter([]))
    with pytest.raises(Overloaded, match="try later"):
        model.invoke("hi")
    assert tree() == "chat [CLIENT CHAT_MODEL] !ERROR"
    (span,) = exporter.get_finished_spans()
    assert span.attributes["error.type"] == "Overloaded"  # type: ignore[index]


def test_inputs_json_of_messages(autolog: None, exporter: InMemorySpanExporter) -> None:
    PROMPT.invoke({"q": "hello"})
    (span,) = exporter.get_finished_spans()
    outputs = json.loads(span.attributes["spanwise.span.outputs"])  # type: ignore[index, arg-type]
    assert [m["type"] for m in outputs["messages"]] == ["system", "human"]
