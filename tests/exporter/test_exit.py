"""Exit: every span ended before a normal exit is exported; exit waits at most
SPANWISE_EXPORT_EXIT_SECONDS when the backend is down, and what is unsent goes to the
spool (also on SIGTERM); kill -9 loses nothing the store acknowledged. Real processes,
the real OTLP exporter."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from _support import clean_env, run_child
from otlp_receiver import OTLPReceiver

pytestmark = pytest.mark.slow

LOOP = """
    import sys
    import spanwise

    @spanwise.trace
    def step(i):
        return i

    for i in range(int(sys.argv[1])):
        step(i)
    print("ended", flush=True)
    if len(sys.argv) > 2:  # wait to be killed
        import time
        time.sleep(60)
"""


@pytest.fixture
def receiver() -> Iterator[OTLPReceiver]:
    server = OTLPReceiver().start()
    yield server
    server.stop()


def _closed_port() -> str:
    # A receiver started and stopped: nobody listens there any more.
    server = OTLPReceiver().start()
    server.stop()
    return server.http_endpoint


def _env(endpoint: str, **extra: str) -> dict[str, str]:
    return clean_env(OTEL_EXPORTER_OTLP_ENDPOINT=endpoint, SPANWISE_TRACKING_URI="none", **extra)


def _script(tmp_path: Path) -> Path:
    script = tmp_path / "app.py"
    script.write_text(textwrap.dedent(LOOP))
    return script


def _spooled(directory: Path) -> int:
    return sum(int(p.name.split("-")[3].split(".")[0]) for p in directory.glob("*.otlp"))


def test_every_span_ended_before_a_normal_exit_is_exported(
    tmp_path: Path, receiver: OTLPReceiver
) -> None:
    # A tight loop against a backend that takes 20 ms an answer: the SDK's queue (2,048)
    # used to fill while it waited for each export, and drop.
    receiver.delay = 0.02
    run_child(
        [sys.executable, str(_script(tmp_path)), "4000"],
        env=_env(receiver.http_endpoint),
        timeout=60,
    )
    names = receiver.names()
    assert len(names) == 4000 and len(set(names)) == 1  # every span, each once
    assert names[0] == "step"


@pytest.mark.parametrize("spool", [True, False], ids=["spool", "no-spool"])
def test_exit_while_the_backend_is_down_is_bounded(tmp_path: Path, spool: bool) -> None:
    # The exporter's own retries (a 10 s timeout) no longer hold exit: one last try,
    # then the spool. The child's timeout is the bound's check (exit used to take 27-29 s).
    spool_dir = tmp_path / "spool"
    extra = {"SPANWISE_EXPORT_SPOOL_DIR": str(spool_dir)} if spool else {}
    done = subprocess.run(
        [sys.executable, str(_script(tmp_path)), "300"],
        env=_env(_closed_port(), SPANWISE_EXPORT_EXIT_SECONDS="3", **extra),
        capture_output=True,
        text=True,
        timeout=12,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    if spool:
        assert _spooled(spool_dir) == 300
        assert "300 unsent spans spooled to" in done.stderr
    else:
        assert (
            "300 spans dropped (SDK queue full 0, buffer full 0, spool full 0, unsent at exit 300)"
            in done.stderr
        )


def test_sigterm_with_a_spool_spools_what_is_unsent(tmp_path: Path) -> None:
    spool_dir = tmp_path / "spool"
    app = subprocess.Popen(
        [sys.executable, str(_script(tmp_path)), "500", "wait"],
        env=_env(_closed_port(), SPANWISE_EXPORT_SPOOL_DIR=str(spool_dir)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert app.stdout is not None
        assert app.stdout.readline().strip() == "ended"
        app.send_signal(signal.SIGTERM)
        _, err = app.communicate(timeout=12)
    finally:
        if app.poll() is None:
            app.kill()
            app.wait(timeout=10)
    assert app.returncode == -signal.SIGTERM, err  # still dies of SIGTERM
    assert _spooled(spool_dir) == 500


KILLED = """
    import sys
    import spanwise

    @spanwise.trace
    def step(batch, i):
        return i

    batch = 0
    while True:
        for i in range(50):
            step(batch, i)
        assert spanwise.flush(10)
        print(batch, flush=True)  # acknowledged: the store has the batch
        batch += 1
"""


def test_kill_9_loses_no_acknowledged_span_and_leaves_a_sound_store(tmp_path: Path) -> None:
    db = tmp_path / "traces.db"
    script = tmp_path / "killed.py"
    script.write_text(textwrap.dedent(KILLED))
    app = subprocess.Popen(
        [sys.executable, str(script)],
        env=clean_env(SPANWISE_TRACKING_URI=str(db)),
        stdout=subprocess.PIPE,
        text=True,
    )
    acknowledged = -1
    try:
        assert app.stdout is not None
        for line in app.stdout:  # bounded: killed after 20 acknowledged batches
            acknowledged = int(line)
            if acknowledged >= 20:
                break
        app.send_signal(signal.SIGKILL)  # mid-load: the next batch is being written
        app.wait(timeout=10)
    finally:
        if app.poll() is None:
            app.kill()
            app.wait(timeout=10)
    assert acknowledged >= 20
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        stored = conn.execute("SELECT count(*) FROM spans").fetchone()[0]
    assert stored >= (acknowledged + 1) * 50
