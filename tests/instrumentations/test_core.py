"""The instrumentation core on plain objects: the span lifecycle, invocation kinds and their
typed attributes, the message parts, and the library registry."""

from __future__ import annotations

import json
from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from spanwise.instrumentations import _invocation as inv
from spanwise.instrumentations._lifecycle import SpanRun
from spanwise.instrumentations._registry import LIBRARIES, library
from spanwise.semconv import parts

import semconv_check
from _support import span_dict


@pytest.fixture
def own() -> tuple[TracerProvider, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider, exporter


def _settings(provider: TracerProvider, *, explicit: bool = True) -> inv.Settings:
    return inv.Settings(tracer=provider.get_tracer("test"), explicit=explicit)


# -- SpanRun -------------------------------------------------------------------------------


def test_a_run_ends_once_whatever_comes_after(own: Any) -> None:
    provider, exporter = own
    run = SpanRun(provider.get_tracer("t").start_span("x"))
    with pytest.raises(KeyError), run:
        raise KeyError("boom")
    run.end_ok()
    run.fail(RuntimeError("later"))
    (span,) = exporter.get_finished_spans()
    snapshot = span_dict(span)
    assert snapshot["status"] == "ERROR"
    assert snapshot["status_description"] == "KeyError: 'boom'"
    assert snapshot["attributes"] == {"error.type": "KeyError"}
    assert [e["name"] for e in snapshot["events"]] == ["exception"]


@pytest.mark.parametrize("stop", [StopIteration, StopAsyncIteration, GeneratorExit])
def test_the_end_of_an_iteration_is_no_failure(own: Any, stop: type[BaseException]) -> None:
    provider, exporter = own
    run = SpanRun(provider.get_tracer("t").start_span("x"))
    run.fail(stop())
    (span,) = exporter.get_finished_spans()
    assert span.status.status_code.name == "UNSET"
    assert "error.type" not in (span.attributes or {})


def test_a_run_is_current_only_inside_its_block(own: Any) -> None:
    from opentelemetry import trace

    provider, _ = own
    run = SpanRun(provider.get_tracer("t").start_span("x"))
    with run:
        assert trace.get_current_span() is run.span
    assert trace.get_current_span() is not run.span
    run.end_ok()


def test_an_internal_error_at_the_end_still_ends_the_span(
    own: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    provider, exporter = own
    monkeypatch.delenv("SPANWISE_RAISE_INTERNAL_ERRORS")

    class Broken(SpanRun):
        def _on_end(self, error: BaseException | None) -> None:
            raise RuntimeError("spanwise bug")

    Broken(provider.get_tracer("t").start_span("x")).end_ok()
    assert len(exporter.get_finished_spans()) == 1


# -- invocation kinds -----------------------------------------------------------------------


def test_invocation_uses_its_instrumentors_tracer_and_policy(
    own: Any, exporter: InMemorySpanExporter
) -> None:
    provider, mine = own
    for explicit in (True, False):
        run = inv.Invocation.start(
            _settings(provider, explicit=explicit),
            inv.TOOL.span_name("get_weather"),
            inv.tool_attributes("get_weather", call_id="call_1", description="Weather"),
            lambda: {"gen_ai.tool.call.arguments": {"city": "Paris"}},
        )
        run.record({}, {"gen_ai.tool.call.result": {"temp_c": 21}})
        run.end_ok()
    with_content, metadata_only = mine.get_finished_spans()
    assert exporter.get_finished_spans() == ()  # never the global provider
    assert with_content.name == "execute_tool get_weather"
    assert with_content.kind is SpanKind.INTERNAL
    assert dict(with_content.attributes or {}) == {
        "spanwise.span.type": "TOOL",
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": "get_weather",
        "gen_ai.tool.call.id": "call_1",
        "gen_ai.tool.description": "Weather",
        "gen_ai.tool.call.arguments": '{"city":"Paris"}',
        "gen_ai.tool.call.result": '{"temp_c":21}',
    }
    assert "gen_ai.tool.call.arguments" not in (metadata_only.attributes or {})
    if semconv_check.available():
        semconv_check.check_attributes(dict(with_content.attributes or {}))


def test_env_off_is_a_hard_off_for_invocations(own: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from spanwise.common._content import reset_content_settings

    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "false")
    reset_content_settings()
    provider, mine = own
    run = inv.Invocation.start(
        _settings(provider),
        "invoke_agent planner",
        inv.agent_attributes("planner"),
        lambda: {"gen_ai.input.messages": [parts.chat_message("user", [parts.text("secret")])]},
    )
    run.end_ok()
    assert "secret" not in repr(dict(mine.get_finished_spans()[0].attributes or {}))


def test_retrieval_documents_follow_the_schema(own: Any) -> None:
    provider, mine = own
    docs = [("doc-1", 0.92, "Paris is in France."), ("doc-2", 0.5, None)]
    run = inv.Invocation.start(
        _settings(provider),
        inv.RETRIEVAL.span_name("wiki"),
        inv.RETRIEVAL.attributes("wiki"),
        kind=inv.RETRIEVAL.span_kind,
    )
    run.record({}, {"gen_ai.retrieval.documents": inv.retrieval_documents(docs, capture=True)})
    run.end_ok()
    (span,) = mine.get_finished_spans()
    attrs = dict(span.attributes or {})
    assert span.name == "retrieval wiki"
    assert attrs["gen_ai.data_source.id"] == "wiki"
    assert json.loads(str(attrs["gen_ai.retrieval.documents"])) == [
        {"id": "doc-1", "score": 0.92, "content": "Paris is in France."},
        {"id": "doc-2", "score": 0.5},
    ]
    assert inv.retrieval_documents(docs, capture=False) == [
        {"id": "doc-1", "score": 0.92},
        {"id": "doc-2", "score": 0.5},
    ]
    if semconv_check.available():
        semconv_check.check_attributes(attrs)


@pytest.mark.parametrize(
    ("span_type", "name", "expected"),
    [
        ("TOOL", "search", {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "search"}),
        (
            "AGENT",
            "planner",
            {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "planner"},
        ),
        (
            "WORKFLOW",
            "etl",
            {"gen_ai.operation.name": "invoke_workflow", "gen_ai.workflow.name": "etl"},
        ),
        ("CHAT_MODEL", "my_llm", {"gen_ai.operation.name": "chat"}),
        ("RETRIEVER", "fetch", {"gen_ai.operation.name": "retrieval"}),
        ("CHAIN", "pipeline", {}),
        ("my-own-type", "x", {}),
    ],
)
def test_manual_span_types_map_to_kinds(
    span_type: str, name: str, expected: dict[str, str]
) -> None:
    kind = inv.kind_for_span_type(span_type)
    attrs = kind.attributes(name if kind.subject_from_name else None)
    assert attrs == {"spanwise.span.type": span_type, **expected}


def test_kinds_name_spans_as_the_conventions_do() -> None:
    assert inv.CHAT.span_name("gpt-4o") == "chat gpt-4o"
    assert inv.CHAT.span_name(None) == "chat"
    assert inv.EMBEDDINGS.span_name("e5") == "embeddings e5"
    assert inv.AGENT.span_name("planner") == "invoke_agent planner"
    assert inv.CHAIN.span_name("x") == "chain x"
    assert {k.span_kind for k in (inv.CHAT, inv.EMBEDDINGS, inv.RETRIEVAL)} == {SpanKind.CLIENT}
    assert all(k.model_call for k in (inv.CHAT, inv.TEXT_COMPLETION, inv.EMBEDDINGS))
    assert not any(k.model_call for k in (inv.TOOL, inv.AGENT, inv.WORKFLOW, inv.RETRIEVAL))


# -- parts ------------------------------------------------------------------------------------


def test_parts_validate_against_the_schemas() -> None:
    messages = [
        parts.chat_message("system", [parts.text("Be brief.")]),
        parts.chat_message(
            "user",
            [
                parts.text("What is this?"),
                parts.blob("image", "iVBORw0K", "image/png"),
                parts.uri("image", "https://x/cat.png"),
                parts.file("file", "file_1"),
            ],
            name="ada",
        ),
        parts.chat_message("assistant", [parts.tool_call("c1", "f", {"a": 1})]),
        parts.chat_message("tool", [parts.tool_call_response("c1", "42")]),
    ]
    output = [
        parts.output_message("assistant", [parts.reasoning("hmm"), parts.text("Done.")], "stop")
    ]
    assert parts.output_message("assistant", [], None)["finish_reason"] == "error"
    assert parts.tool_call(None, "f") == {"type": "tool_call", "name": "f"}
    if semconv_check.available():
        semconv_check.check_attributes(
            {
                "gen_ai.input.messages": json.dumps(messages),
                "gen_ai.output.messages": json.dumps(output),
                "gen_ai.system_instructions": json.dumps([parts.text("Be brief.")]),
            }
        )


# -- the registry -----------------------------------------------------------------------------


def test_registry_names_each_library_once() -> None:
    assert {"openai", "anthropic"} <= set(LIBRARIES)
    lib = library("anthropic")
    assert lib.entry_point == "spanwise_anthropic"
    assert type(lib.load()).__name__ == "AnthropicInstrumentor"
    with pytest.raises(ValueError, match="does not instrument 'cohere'"):
        library("cohere")


def test_every_registered_library_has_a_facade_module() -> None:
    import importlib

    import spanwise

    for name in LIBRARIES:
        module = importlib.import_module(f"spanwise.{name}")
        assert getattr(spanwise, name) is module
        assert callable(module.autolog)
