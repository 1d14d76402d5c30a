"""Fork after tracing: every lock, thread, connection and lazy import that crosses the
fork is reset in the child, so a forked child (a multiprocessing Pool, a bare
``os.fork``) neither hangs nor loses its spans, over OTLP and into the local store."""

from __future__ import annotations

import os
import sqlite3
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from _support import clean_env, run_child
from otlp_receiver import OTLPReceiver

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork"),
]

APP = """
    import multiprocessing
    import os
    import sys
    import spanwise

    @spanwise.trace
    def step(i):
        return i

    def child(n):
        for i in range(5):
            with spanwise.start_span(f"child-{n}-{i}"):
                pass
        return n

    if __name__ == "__main__":
        for i in range(int(sys.argv[1])):  # the parent's threads are busy at the fork
            step(i)
        ctx = multiprocessing.get_context("fork")
        with spanwise.start_span("parent"):  # the workers' spans are in this trace
            pool = ctx.Pool(2)
            assert sorted(pool.map(child, range(4))) == [0, 1, 2, 3]
            pool.close()
            pool.join()  # hung forever on a lock the parent held at the fork
        pid = os.fork()
        if pid == 0:
            child(99)
            sys.exit(0)  # a normal exit: atexit runs
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        print("done", flush=True)
"""

CHILD_SPANS = {f"child-{n}-{i}" for n in (0, 1, 2, 3, 99) for i in range(5)}


@pytest.fixture
def receiver() -> Iterator[OTLPReceiver]:
    server = OTLPReceiver().start()
    yield server
    server.stop()


def _run(tmp_path: Path, **env: str) -> None:
    script = tmp_path / "app.py"
    script.write_text(textwrap.dedent(APP))
    # The timeout turns a hang into a failure.
    out = run_child([sys.executable, str(script), "1500"], env=clean_env(**env), timeout=40)
    assert out.strip() == "done"


def test_forked_children_export_over_otlp(tmp_path: Path, receiver: OTLPReceiver) -> None:
    _run(
        tmp_path,
        OTEL_EXPORTER_OTLP_ENDPOINT=receiver.http_endpoint,
        SPANWISE_TRACKING_URI="none",
    )
    names = receiver.wait_for(1500 + 1 + len(CHILD_SPANS), timeout=10)
    assert {n for n in names if n.startswith("child-")} == CHILD_SPANS
    assert len(names) == 1500 + 1 + len(CHILD_SPANS)  # each once: the child resent nothing


def test_forked_children_write_the_local_store(tmp_path: Path) -> None:
    db = tmp_path / "traces.db"
    _run(tmp_path, SPANWISE_TRACKING_URI=str(db))
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        names = [row[0] for row in conn.execute("SELECT name FROM spans")]
    assert {n for n in names if n.startswith("child-")} == CHILD_SPANS
    assert names.count("step") == 1500
    assert names.count("parent") == 1
