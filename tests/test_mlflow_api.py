"""MLflow Tracing's API where spanwise has it: ``import spanwise as mlflow`` code runs."""

from __future__ import annotations

import importlib.metadata
import json
import logging
import sys

import pytest

import spanwise as mlflow
from spanwise.entities import SpanType, Trace
from spanwise.exporter._read import tag_edits
from spanwise.server._cli import main as cli_main


@pytest.fixture(autouse=True)
def _no_tag_edits() -> None:
    # Trace ids restart at 1 in every test (conftest): edits of an earlier test's trace
    # must not reach this one's.
    tag_edits.clear()


def _answer(question: str, *, usage: tuple[int, int] | None = None) -> str:
    with mlflow.start_span("agent", span_type=SpanType.AGENT) as span:
        span.set_inputs({"question": question})
        if usage is not None:
            with mlflow.start_span("chat gpt", span_type=SpanType.CHAT_MODEL) as llm:
                llm.set_attributes(
                    {"gen_ai.usage.input_tokens": usage[0], "gen_ai.usage.output_tokens": usage[1]}
                )
        span.set_outputs({"answer": question.upper()})
    return span.trace_id


def test_version_in_package_and_cli(capsys: pytest.CaptureFixture[str]) -> None:
    assert mlflow.__version__ == importlib.metadata.version("spanwise")
    with pytest.raises(SystemExit) as exit_info:
        cli_main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"spanwise {mlflow.__version__}"


def test_search_traces_mlflow_parameters() -> None:
    first = _answer("one")
    second = _answer("two")
    listed = mlflow.search_traces(experiment_ids=["0"], return_type="list")
    assert [t.info.trace_id for t in listed] == [second, first]  # type: ignore[union-attr]
    bare = mlflow.search_traces(locations=["0"], include_spans=False, return_type="list")
    assert [(t.info.trace_id, t.data.spans) for t in bare] == [(second, []), (first, [])]  # type: ignore[union-attr]
    with pytest.raises(ValueError, match=r"experiment_ids=\['7'\] cannot apply"):
        mlflow.search_traces(experiment_ids=["7"])
    with pytest.raises(ValueError, match="locations"):
        mlflow.search_traces(locations=["catalog.schema"])
    with pytest.raises(ValueError, match="extract_fields applies to return_type='pandas'"):
        mlflow.search_traces(extract_fields=["agent.inputs"], return_type="list")
    with pytest.raises(ValueError, match="expected 'inputs' or 'outputs'"):
        mlflow.search_traces(extract_fields=["agent.params"])


def test_run_id_and_model_id_select_by_mlflows_metadata() -> None:
    with mlflow.start_span("in run"):
        mlflow.update_current_trace(metadata={"mlflow.sourceRun": "run-1"})
    in_run = mlflow.get_last_active_trace_id()
    _answer("elsewhere")
    found = mlflow.search_traces(run_id="run-1", return_type="list")
    assert [t.info.trace_id for t in found] == [in_run]  # type: ignore[union-attr]
    assert mlflow.search_traces(model_id="m-1", return_type="list") == []


def test_dataframe_reads_as_mlflow_3() -> None:
    pytest.importorskip("pandas")
    trace_id = _answer("hi")
    df = mlflow.search_traces(extract_fields=["agent.inputs.question", "`agent`.outputs"])
    row = df.iloc[0]  # type: ignore[union-attr]
    assert row["trace_id"] == trace_id
    assert row["request"] == {"question": "hi"}  # the value, not JSON text
    assert row["response"] == {"answer": "HI"}
    assert Trace.from_json(row["trace"]).info.trace_id == trace_id  # JSON, as MLflow 3
    assert row["agent.inputs.question"] == "hi"
    assert row["agent.outputs"] == {"answer": "HI"}


def test_default_return_type_without_pandas(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    trace_id = _answer("no pandas")
    monkeypatch.setitem(sys.modules, "pandas", None)
    with caplog.at_level(logging.DEBUG, logger="spanwise"):  # WARNING once, then DEBUG
        found = mlflow.search_traces()
    assert [t.info.trace_id for t in found] == [trace_id]  # type: ignore[union-attr]
    assert "returns a list of Trace" in caplog.text
    with pytest.raises(ImportError, match=r"spanwise\[pandas\]"):
        mlflow.search_traces(return_type="pandas")


def test_trace_tags_on_running_and_ended_traces() -> None:
    with mlflow.start_span("job") as span:
        assert mlflow.get_active_trace_id() == span.trace_id
        mlflow.set_trace_tag(span.trace_id, "stage", "draft")
        mlflow.set_trace_tag(span.trace_id, "gone", "x")
        mlflow.delete_trace_tag(span.trace_id, "gone")
    assert mlflow.get_active_trace_id() is None
    assert mlflow.get_trace(span.trace_id).info.tags == {"stage": "draft"}  # type: ignore[union-attr]
    mlflow.set_trace_tag(span.trace_id, "stage", "final")
    mlflow.set_trace_tag(span.trace_id, "score", 3)
    mlflow.delete_trace_tag(span.trace_id, "missing")  # nothing to delete: no error
    assert mlflow.get_trace(span.trace_id).info.tags == {"stage": "final", "score": "3"}  # type: ignore[union-attr]
    with pytest.raises(LookupError, match="not found"):
        mlflow.set_trace_tag("tr-" + "ab" * 16, "k", "v")
    with pytest.raises(ValueError):
        mlflow.delete_trace_tag("not-an-id", "k")


def test_trace_tags_on_a_trace_only_in_the_store() -> None:
    # Another process's trace (or one this process no longer holds): changed in the store.
    from spanwise.exporter import _provider

    trace_id = _answer("stored")
    mlflow.set_trace_tag(trace_id, "stage", "draft")
    _provider.flush()
    _provider.assembler.clear()
    mlflow.set_trace_tag(trace_id, "stage", "final")
    mlflow.set_trace_tag(trace_id, "reviewed", True)
    mlflow.delete_trace_tag(trace_id, "missing")  # nothing to delete: no error
    trace = mlflow.get_trace(trace_id)
    assert trace.info.tags == {"stage": "final", "reviewed": "true"}
    assert [
        t.info.trace_id for t in mlflow.search_traces("tags.stage = 'final'", return_type="list")
    ] == [trace_id]
    mlflow.delete_trace_tag(trace_id, "stage")
    assert mlflow.get_trace(trace_id).info.tags == {"reviewed": "true"}
    assert mlflow.search_traces("tags.stage = 'final'", return_type="list") == []
    with pytest.raises(LookupError, match="nor in the store"):
        mlflow.set_trace_tag("tr-" + "ab" * 16, "k", "v")


def test_start_span_no_context_and_log_trace() -> None:
    root = mlflow.start_span_no_context("root", tags={"team": "a"}, metadata={"v": "1"})
    assert mlflow.get_current_active_span() is None  # not made current
    child = mlflow.start_span_no_context(
        "step", span_type=SpanType.TOOL, parent_span=root, inputs={"x": 1}
    )
    child.end(outputs={"y": 2}, attributes={"note": "ok"})
    root.end(outputs="done", end_time_ns=None)
    root.end()  # a second end does nothing
    trace = mlflow.get_trace(root.trace_id)
    assert trace is not None
    assert [(s.name, s.parent_id, s.inputs, s.outputs) for s in trace.data.spans] == [
        ("root", None, None, "done"),
        ("step", root.span_id, {"x": 1}, {"y": 2}),
    ]
    assert (trace.info.tags, trace.info.trace_metadata) == ({"team": "a"}, {"v": "1"})
    assert trace.data.spans[1].attributes["note"] == "ok"

    logged = mlflow.log_trace(
        name="qa",
        request="Does spanwise trace?",
        response="Yes",
        intermediate_outputs={"docs": ["readme"]},
        tags={"src": "log"},
        start_time_ms=1_700_000_000_000,
        execution_time_ms=250,
    )
    mlflow.flush_trace_async_logging()
    stored = mlflow.get_trace(logged)
    assert stored is not None
    assert (stored.info.request_time, stored.info.execution_duration) == (1_700_000_000_000, 250)
    assert (stored.data.request, stored.data.response) == ('"Does spanwise trace?"', '"Yes"')
    assert stored.info.tags == {"src": "log"}
    assert json.loads(stored.data.spans[0].attributes["mlflow.trace.intermediate_outputs"]) == {
        "docs": ["readme"]
    }


def test_filter_identifiers_from_mlflow() -> None:
    with mlflow.start_span("named"):
        mlflow.update_current_trace(metadata={"user": "ada"})
    named = mlflow.get_last_active_trace_id()
    _answer("other")

    def found(text: str) -> list[str]:
        return [t.info.trace_id for t in mlflow.search_traces(text, return_type="list")]  # type: ignore[union-attr]

    assert found("request_metadata.user = 'ada'") == [named]
    assert found("tags.`mlflow.traceName` = 'named'") == [named]
    assert found("trace.name = 'named'") == [named]


def test_token_usage_as_mlflow_sums_it() -> None:
    trace_id = _answer("count", usage=(10, 5))
    trace = mlflow.get_trace(trace_id)
    assert trace is not None
    expected = {"input_tokens": 10, "output_tokens": 5, "total_tokens": 15}
    assert trace.info.token_usage == expected
    data = json.loads(trace.to_json())
    assert json.loads(data["info"]["trace_metadata"]["mlflow.trace.tokenUsage"]) == expected
    again = Trace.from_json(trace.to_json())
    assert again.info.token_usage == expected
    assert "mlflow.trace.tokenUsage" not in again.info.trace_metadata

    # A framework span around a provider span with the same usage counts once.
    with mlflow.start_span("chain", span_type=SpanType.CHAIN) as outer:
        outer.set_attributes({"gen_ai.usage.input_tokens": 7, "gen_ai.usage.output_tokens": 3})
        with mlflow.start_span("chat", span_type=SpanType.CHAT_MODEL) as inner:
            inner.set_attributes({"gen_ai.usage.input_tokens": 7, "gen_ai.usage.output_tokens": 3})
    nested = mlflow.get_trace(outer.trace_id)
    assert nested is not None
    assert nested.info.token_usage == {"input_tokens": 7, "output_tokens": 3, "total_tokens": 10}
    assert mlflow.get_trace(_answer("none")).info.token_usage is None  # type: ignore[union-attr]


def test_tracing_module() -> None:
    with mlflow.start_span("client") as span:
        headers = mlflow.tracing.get_tracing_context_headers_for_http_request()
        mlflow.tracing.set_span_chat_tools(
            span,
            [{"type": "function", "function": {"name": "add", "parameters": {"type": "object"}}}],
        )
    assert headers["traceparent"] == f"00-{span.trace_id[3:]}-{span.span_id}-01"
    with (
        mlflow.tracing.set_tracing_context_from_http_request_headers(
            {"Traceparent": headers["traceparent"]}
        ),
        mlflow.start_span("server") as remote,
    ):
        pass
    assert remote.trace_id == span.trace_id
    client = mlflow.get_trace(span.trace_id)
    assert client is not None
    tools = client.data.spans[0].attributes["gen_ai.tool.definitions"]
    assert tools == [{"type": "function", "name": "add", "parameters": {"type": "object"}}]
    assert mlflow.tracing.get_bridged_tracer_provider() is not None
