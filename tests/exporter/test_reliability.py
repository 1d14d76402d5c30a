"""The export path under stress: a backend that is down then up, SIGTERM, forked
workers. Real processes, the real OTLP exporter, spanwise's receiver as the backend."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from opentelemetry.sdk.trace.export import SpanExportResult

from spanwise.exporter._resilient import ResilientSpanExporter
from spanwise.server._receiver import Receiver

from export_support import Flaky
from export_support import spans as _spans

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Backend:
    """spanwise's receiver keeping span names in memory."""

    def __init__(self, port: int = 0) -> None:
        self.names: list[str] = []
        self.receiver = Receiver(
            lambda records, **_: self.names.extend(r["name"] for r in records),
            http_port=port,
            grpc_port=None,
        )

    def __enter__(self) -> Backend:
        self.receiver.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.receiver.stop()

    def wait_for(self, count: int, timeout: float = 30.0) -> list[str]:
        deadline = time.monotonic() + timeout
        while len(self.names) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return list(self.names)


def _app(tmp_path: Path, body: str, port: int, **env: str) -> subprocess.Popen[str]:
    script = tmp_path / "app.py"
    script.write_text(textwrap.dedent(body))
    full = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "SPANWISE_"))}
    full |= {
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{port}",
        "OTEL_EXPORTER_OTLP_TIMEOUT": "1",
        "OTEL_BSP_SCHEDULE_DELAY": "50",
        "SPANWISE_TRACKING_URI": "none",
        **env,
    }
    return subprocess.Popen(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=full,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def port() -> int:
    return _free_port()


def _line(proc: subprocess.Popen[str]) -> str:
    assert proc.stdout is not None
    return proc.stdout.readline().strip()


def _finish(proc: subprocess.Popen[str], timeout: float = 60) -> tuple[str, str]:
    try:
        return proc.communicate(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


APP_OUTAGE = """
    import sys
    import spanwise

    for i in range(300):
        with spanwise.start_span(f"outage-{i}"):
            pass
    print("ended during outage", flush=True)
    sys.stdin.readline()
    for i in range(50):
        with spanwise.start_span(f"after-{i}"):
            pass
    print("done", flush=True)
"""


def test_backend_down_then_up_delivers_everything(tmp_path: Path, port: int) -> None:
    app = _app(tmp_path, APP_OUTAGE, port)
    try:
        # Every span of the outage was ended without waiting for the backend.
        assert _line(app) == "ended during outage"
        time.sleep(1.5)  # a few failed export attempts
        with Backend(port) as backend:
            assert app.stdin is not None
            app.stdin.write("go\n")
            app.stdin.flush()
            assert _line(app) == "done"
            _, err = _finish(app)
            names = backend.wait_for(350)
    finally:
        if app.poll() is None:
            app.kill()
    assert app.returncode == 0, err
    assert sorted(names) == sorted(
        [f"outage-{i}" for i in range(300)] + [f"after-{i}" for i in range(50)]
    )
    assert err.count("keeping up to 20000 spans to retry") == 1  # logged once, not per batch


APP_SIGTERM = """
    import time
    import spanwise

    for i in range(40):
        with spanwise.start_span(f"before-term-{i}"):
            pass
    print("ready", flush=True)
    time.sleep(60)
"""


def test_sigterm_exports_every_ended_span(tmp_path: Path, port: int) -> None:
    with Backend(port) as backend:
        app = _app(tmp_path, APP_SIGTERM, port, OTEL_BSP_SCHEDULE_DELAY="30000")
        assert _line(app) == "ready"
        app.send_signal(signal.SIGTERM)
        _finish(app)
        assert app.returncode == -signal.SIGTERM  # still dies of SIGTERM
        assert sorted(backend.wait_for(40, timeout=10)) == sorted(
            f"before-term-{i}" for i in range(40)
        )


APP_FORK = """
    import multiprocessing
    import spanwise

    def child(n):
        for i in range(5):
            with spanwise.start_span(f"child-{n}-{i}"):
                pass
        return n

    if __name__ == "__main__":
        with spanwise.start_span("parent"):
            pass
        ctx = multiprocessing.get_context("fork")
        pool = ctx.Pool(2)  # pre-forked workers, closed gracefully
        assert sorted(pool.map(child, range(4))) == [0, 1, 2, 3]
        pool.close()
        pool.join()
        workers = [ctx.Process(target=child, args=(n,)) for n in (10, 11)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        print("done", flush=True)
"""


def test_forked_workers_export_their_own_spans(tmp_path: Path, port: int) -> None:
    with Backend(port) as backend:
        app = _app(tmp_path, APP_FORK, port, OTEL_BSP_SCHEDULE_DELAY="30000")
        out, err = _finish(app)
        assert app.returncode == 0, err
        assert out.strip() == "done"
        expected = {"parent"} | {f"child-{n}-{i}" for n in (0, 1, 2, 3, 10, 11) for i in range(5)}
        names = backend.wait_for(len(expected), timeout=10)
    assert set(names) == expected


# -- the buffer's bound, in process ------------------------------------------------------


@pytest.fixture
def flaky() -> Iterator[tuple[Flaky, ResilientSpanExporter]]:
    backend = Flaky()
    exporter = ResilientSpanExporter(backend, max_spans=100, retry_interval=3600)
    yield backend, exporter
    exporter.shutdown()


def test_buffer_bound_drops_oldest_counts_and_logs_once(
    flaky: tuple[Flaky, ResilientSpanExporter], caplog: pytest.LogCaptureFixture
) -> None:
    backend, exporter = flaky
    with caplog.at_level(logging.WARNING, logger="spanwise"):
        for batch in range(3):
            exporter.export(_spans(f"b{batch}", 50))
        assert not exporter.force_flush()  # the sender tried (and failed): a settled state
    assert (exporter.pending, exporter.dropped, exporter.drops.buffer_full) == (100, 50, 50)
    assert sum("export buffer full" in r.message for r in caplog.records) == 1
    backend.up = True
    assert exporter.force_flush()  # the retry, now rather than at the end of the backoff
    assert exporter.export(_spans("b3", 10)) is SpanExportResult.SUCCESS  # accepted
    assert exporter.force_flush()
    # Oldest first, the 50 oldest were the ones dropped.
    assert backend.received == [f"b1-{i}" for i in range(50)] + [f"b2-{i}" for i in range(50)] + [
        f"b3-{i}" for i in range(10)
    ]
    assert exporter.pending == 0


def test_shutdown_counts_what_never_got_through(flaky: tuple[Flaky, ResilientSpanExporter]) -> None:
    _, exporter = flaky
    exporter.export(_spans("x", 30))
    exporter.shutdown()
    exporter.shutdown()  # idempotent
    assert (exporter.pending, exporter.dropped, exporter.drops.at_exit) == (0, 30, 30)
    assert exporter.export(_spans("y", 1)) is SpanExportResult.FAILURE
