"""The disk spool behind the export buffer: spans beyond the memory bound, and those
unsent at exit, wait on disk and are sent once the backend answers, by this process or
the next; the spool's own bound drops the oldest files, counted."""

from __future__ import annotations

import os
import sys
import textwrap
import time
from pathlib import Path

import pytest
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import SpanKind, Status, StatusCode

from spanwise.exporter._resilient import ResilientSpanExporter
from spanwise.exporter._spool import Spool, spans_from_request

from _support import clean_env, run_child
from export_support import Flaky, spans


def _exporter(
    backend: Flaky, directory: Path, max_bytes: int = 10_000_000
) -> ResilientSpanExporter:
    return ResilientSpanExporter(
        backend, max_spans=100, retry_interval=3600, spool=Spool(directory, max_bytes)
    )


def test_overflow_goes_to_disk_and_comes_back(tmp_path: Path) -> None:
    backend = Flaky()
    exporter = _exporter(backend, tmp_path)
    for batch in range(3):
        exporter.export(spans(f"b{batch}", 50))
    assert not exporter.force_flush()  # the sender tried (and failed): a settled state
    assert (exporter.pending, exporter.dropped) == (100, 0)  # the oldest 50 are on disk
    assert len(exporter.spool.files()) == 1  # type: ignore[union-attr]
    backend.up = True
    assert exporter.force_flush()
    expected = {f"b{b}-{i}" for b in range(3) for i in range(50)}
    assert sorted(backend.received) == sorted(expected)  # each exactly once
    assert exporter.spool.files() == []  # type: ignore[union-attr]
    exporter.shutdown()


def test_unsent_at_shutdown_is_sent_by_the_next_exporter(tmp_path: Path) -> None:
    down = Flaky()
    first = _exporter(down, tmp_path)
    first.export(spans("x", 30))
    first.shutdown()
    assert first.dropped == 0  # spooled, not lost
    up = Flaky()
    up.up = True
    second = _exporter(up, tmp_path)  # finds the file and sends it from its retry thread
    deadline = time.monotonic() + 10
    while len(up.received) < 30 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert sorted(up.received) == sorted(f"x-{i}" for i in range(30))
    second.shutdown()


def test_spool_bound_drops_the_oldest_files_counted(tmp_path: Path) -> None:
    one_file = len(encode_spans(spans("s", 50)).SerializeToString())
    backend = Flaky()
    exporter = _exporter(backend, tmp_path, max_bytes=int(one_file * 2.5))
    for batch in range(6):  # 300 spans: 100 in memory, 4 files of 50 for a spool of 2
        exporter.export(spans(f"b{batch}", 50))
    assert not exporter.force_flush()
    assert exporter.pending == 100
    assert exporter.dropped == 100  # the two oldest files
    backend.up = True
    assert exporter.force_flush()
    assert {n.split("-")[0] for n in backend.received} == {"b2", "b3", "b4", "b5"}
    exporter.shutdown()


def test_a_file_is_sent_by_one_process_and_a_dead_claim_is_freed(tmp_path: Path) -> None:
    spool = Spool(tmp_path, 10_000_000)
    spool.put(spans("a", 2))
    spool.put(spans("b", 2))
    first, second = spool.claim(), spool.claim()
    assert first is not None and second is not None and first != second
    assert spool.claim() is None  # both taken
    spool.release(first)
    assert spool.claim() == first
    # A claim whose process died is given back when a spool opens the directory.
    dead = run_child([sys.executable, "-c", "import os; print(os.getpid())"], env=clean_env())
    orphan = second.with_name(second.name.rsplit("-", 1)[0] + "-" + dead.strip())
    second.rename(orphan)
    assert [p.name for p in Spool(tmp_path, 10_000_000).files()] == [
        orphan.name.partition(".sending-")[0]
    ]


def test_damaged_file_is_dropped_not_retried_forever(tmp_path: Path) -> None:
    backend = Flaky()
    backend.up = True
    exporter = _exporter(backend, tmp_path)
    (tmp_path / "00000000000000000001-1-000000-5.otlp").write_bytes(b"\xff\x00garbage")
    exporter.spool.put(spans("ok", 3))  # type: ignore[union-attr]
    assert exporter.force_flush()
    assert sorted(backend.received) == ["ok-0", "ok-1", "ok-2"]
    assert exporter.spool.files() == []  # type: ignore[union-attr]
    exporter.shutdown()


def test_spooled_spans_read_back_whole(tmp_path: Path) -> None:
    provider = TracerProvider(resource=Resource({"service.name": "svc"}))
    tracer = provider.get_tracer("scope", "1.2")
    with tracer.start_as_current_span("parent", kind=SpanKind.CLIENT) as parent:
        parent.set_attributes({"s": "v", "i": 3, "f": 0.5, "b": True, "l": ("x", "y")})
        parent.add_event("ev", {"k": 1}, timestamp=123)
        parent.set_status(Status(StatusCode.ERROR, "boom"))
        child = tracer.start_span("child")
        child.end()
    originals = [child, parent]
    back = spans_from_request(encode_spans(originals))  # type: ignore[arg-type]

    def view(span: object) -> object:
        from opentelemetry.sdk.trace import ReadableSpan

        assert isinstance(span, ReadableSpan)
        return (
            span.name,
            span.context.trace_id,  # type: ignore[union-attr]
            span.context.span_id,  # type: ignore[union-attr]
            span.parent.span_id if span.parent else None,
            dict(span.attributes or {}),
            [(e.name, dict(e.attributes or {}), e.timestamp) for e in span.events],
            span.kind,
            span.status.status_code,
            span.status.description,
            span.start_time,
            span.end_time,
            dict(span.resource.attributes)["service.name"],
            (span.instrumentation_scope.name, span.instrumentation_scope.version),  # type: ignore[union-attr]
        )

    assert [view(s) for s in back] == [view(s) for s in originals]


APP = """
    import sys
    import spanwise

    for i in range(int(sys.argv[1])):
        with spanwise.start_span(f"{sys.argv[2]}-{i}"):
            pass
"""


@pytest.mark.slow
def test_spans_of_an_outage_survive_the_process(tmp_path: Path) -> None:
    """A process ends 300 spans while the backend is down and exits; the next process
    using the spool sends them once the backend is up."""
    from spanwise.server._receiver import Receiver

    script = tmp_path / "app.py"
    script.write_text(textwrap.dedent(APP))
    spool = tmp_path / "spool"
    received: list[str] = []
    with Receiver(
        lambda records, **_: received.extend(r["name"] for r in records),
        http_port=0,
        grpc_port=None,
    ) as receiver:
        port = receiver.http_port
    env = clean_env()
    env |= {
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{port}",  # closed: nobody listens
        "OTEL_EXPORTER_OTLP_TIMEOUT": "1",
        "OTEL_BSP_SCHEDULE_DELAY": "50",
        "SPANWISE_TRACKING_URI": "none",
        "SPANWISE_EXPORT_BUFFER_SPANS": "100",
        "SPANWISE_EXPORT_SPOOL_DIR": str(spool),
    }

    def app(count: int, prefix: str) -> None:
        run_child([sys.executable, str(script), str(count), prefix], env=env)

    app(300, "outage")
    assert sum(int(p.name.split("-")[3].split(".")[0]) for p in spool.glob("*.otlp")) == 300
    with Receiver(
        lambda records, **_: received.extend(r["name"] for r in records),
        http_port=port,
        grpc_port=None,
    ):
        app(5, "after")
    assert sorted(received) == sorted(
        [f"outage-{i}" for i in range(300)] + [f"after-{i}" for i in range(5)]
    )
    assert list(spool.glob("*.otlp")) == []


def test_zero_code_otlp_export_has_the_same_buffer_and_spool(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Under opentelemetry-instrument the SDK builds the exporters; spanwise's configurator
    # wraps the OTLP ones as library mode does: Dialect(Resilient(OTLP)).
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace.export import ConsoleSpanExporter

    from spanwise.exporter._configurator import _export_processor  # pyright: ignore[reportPrivateUsage]
    from spanwise.model._dialects import DialectSpanExporter

    monkeypatch.setenv("SPANWISE_EXPORT_SPOOL_DIR", str(tmp_path / "spool"))
    processor = _export_processor("mlflow")(
        OTLPSpanExporter(endpoint="http://127.0.0.1:9/v1/traces")
    )
    outer = processor.span_exporter
    assert isinstance(outer, DialectSpanExporter) and outer.dialect == "mlflow"
    assert isinstance(outer.inner, ResilientSpanExporter)
    assert outer.inner.spool is not None and outer.inner.spool.directory == tmp_path / "spool"
    processor.shutdown()
    console = _export_processor("genai")(ConsoleSpanExporter()).span_exporter
    assert isinstance(console, ConsoleSpanExporter)  # nothing to ride out


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_processes_sharing_a_spool_send_each_file_once(tmp_path: Path) -> None:
    spool_dir = tmp_path / "spool"
    writer = Spool(spool_dir, 100_000_000)
    for batch in range(40):
        writer.put(spans(f"f{batch}", 5))
    children: list[int] = []
    for worker in range(3):
        pid = os.fork()
        if pid == 0:  # a worker: replay what it can claim, write down what it sent
            code = 1
            try:
                backend = Flaky()
                backend.up = True
                exporter = ResilientSpanExporter(
                    backend, max_spans=100, retry_interval=3600, spool=Spool(spool_dir, 100_000_000)
                )
                exporter.force_flush()
                exporter.shutdown()
                (tmp_path / f"sent-{worker}").write_text("\n".join(backend.received))
                code = 0
            finally:
                os._exit(code)
        children.append(pid)
    for pid in children:
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
    sent = [
        name
        for worker in range(3)
        for name in (tmp_path / f"sent-{worker}").read_text().split("\n")
        if name
    ]
    assert sorted(sent) == sorted(f"f{b}-{i}" for b in range(40) for i in range(5))  # once each
    assert list(spool_dir.glob("*")) == []
