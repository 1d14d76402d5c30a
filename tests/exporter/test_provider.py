"""Provider rules (DESIGN.md section 2), each in a fresh interpreter."""

from __future__ import annotations

import shutil
import sys
import textwrap
from pathlib import Path

import pytest

from spanwise.store._sql import SqlTraceStore

from _support import clean_env, run_child

pytestmark = pytest.mark.slow


def _run(tmp_path: Path, code: str, *argv: str, env: dict[str, str] | None = None) -> str:
    script = tmp_path / "app.py"
    script.write_text(textwrap.dedent(code))
    full_env = clean_env(SPANWISE_TRACKING_URI=str(tmp_path / "traces.db"))
    full_env.update(env or {})
    command = [*argv, str(script)] if argv else [sys.executable, str(script)]
    return run_child(command, env=full_env, cwd=tmp_path)


def _store(tmp_path: Path) -> SqlTraceStore:
    return SqlTraceStore(f"sqlite:///{tmp_path / 'traces.db'}")


def test_spanwise_sets_a_provider_only_when_none_is_set(tmp_path: Path) -> None:
    out = _run(
        tmp_path,
        """
        from opentelemetry import trace
        import spanwise

        assert type(trace.get_tracer_provider()).__name__ == "ProxyTracerProvider"
        import spanwise  # importing sets nothing up

        @spanwise.trace
        def hello(name):
            return f"hi {name}"

        hello("x")
        provider = trace.get_tracer_provider()
        print(type(provider).__module__, provider.resource.attributes["service.name"])
        print(spanwise.get_trace(spanwise.get_last_active_trace_id()).data.spans[0].outputs)
        """,
        env={"OTEL_SERVICE_NAME": "my-agent"},
    )
    assert out.splitlines() == ["opentelemetry.sdk.trace my-agent", "hi x"]
    # ...and exits without an explicit flush: the trace still reaches the store.
    assert _store(tmp_path).count() == 1


def test_the_applications_provider_is_kept_and_shared(tmp_path: Path) -> None:
    out = _run(
        tmp_path,
        """
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

        exporter = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        trace.set_tracer_provider(provider)

        import spanwise

        @spanwise.trace
        def work():
            with trace.get_tracer("app").start_as_current_span("app-span"):
                return 1

        work()
        work()
        assert trace.get_tracer_provider() is provider
        print(sorted(s.name for s in exporter.get_finished_spans()))
        print(len(spanwise.get_trace(spanwise.get_last_active_trace_id()).data.spans))
        """,
    )
    assert out.splitlines() == ["['app-span', 'app-span', 'work', 'work']", "2"]
    assert _store(tmp_path).count() == 2


def test_spans_ended_before_exit_reach_the_store(tmp_path: Path) -> None:
    _run(
        tmp_path,
        """
        import spanwise

        @spanwise.trace
        def step(i):
            return i

        for i in range(200):
            step(i)
        # no flush: the interpreter's exit must write everything
        """,
    )
    assert _store(tmp_path).count() == 200


def test_otel_traces_exporter_spanwise_under_opentelemetry_instrument(tmp_path: Path) -> None:
    """An app that never imports spanwise, run under `opentelemetry-instrument`."""
    instrument = shutil.which("opentelemetry-instrument", path=str(Path(sys.executable).parent))
    assert instrument is not None
    out = _run(
        tmp_path,
        """
        from opentelemetry import trace

        tracer = trace.get_tracer("plain.app")
        with tracer.start_as_current_span("request") as span:
            span.set_attribute("gen_ai.operation.name", "invoke_agent")
            with tracer.start_as_current_span("lookup"):
                pass
        print(type(trace.get_tracer_provider()).__name__)
        """,
        instrument,
        sys.executable,
        env={
            "OTEL_TRACES_EXPORTER": "spanwise",
            "OTEL_METRICS_EXPORTER": "none",
            "OTEL_LOGS_EXPORTER": "none",
        },
    )
    assert out.strip() == "TracerProvider"
    traces = _store(tmp_path).search([], [], None)
    assert len(traces) == 1
    (trace,) = traces
    assert [s.name for s in trace.data.spans] == ["request", "lookup"]
    assert trace.data.spans[0].span_type == "AGENT"  # from gen_ai.operation.name
    assert trace.info.state.value == "OK"


def test_otlp_endpoint_alone_exports_as_well_as_storing(tmp_path: Path) -> None:
    from otlp_receiver import OTLPReceiver

    receiver = OTLPReceiver().start()
    try:
        _run(
            tmp_path,
            """
            import spanwise

            @spanwise.trace(span_type="TOOL")
            def lookup(q):
                return q

            lookup("x")
            """,
            env={"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.http_endpoint, "OTEL_SERVICE_NAME": "lib"},
        )
        (span,) = receiver.spans  # flushed at exit
    finally:
        receiver.stop()
    assert span["name"] == "lookup"
    assert span["attributes"]["gen_ai.tool.name"] == "lookup"
    assert span["resource"]["service.name"] == "lib"
    assert _store(tmp_path).count() == 1


def test_search_sees_traces_written_by_the_store_exporter(tmp_path: Path) -> None:
    """With the `spanwise` exporter behind a batch processor, search still sees every
    trace finished before it (flush reaches the pipeline)."""
    out = _run(
        tmp_path,
        """
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
        from spanwise.exporter import SpanwiseStoreExporter

        provider = TracerProvider()
        provider.add_span_processor(BatchSpanProcessor(SpanwiseStoreExporter()))
        trace.set_tracer_provider(provider)

        import spanwise

        @spanwise.trace
        def step(i):
            return i

        step(1)
        print(len(spanwise.search_traces(return_type="list")))
        """,
    )
    assert out.strip() == "1"
    assert _store(tmp_path).count() == 1  # written once, by the exporter
