"""The ``spanwise`` command: traces list/show/export on a real store; the server as a
real process (ready line, SIGTERM stops it cleanly)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from spanwise.model._model import Trace
from spanwise.server._cli import main
from spanwise.store._sql import SqlTraceStore

A = "0af7651916cd43dd8448eb211c80319c"
B = "1bf7651916cd43dd8448eb211c80319c"


def _record(trace: str, span: str, parent: str | None, name: str, **attrs: Any) -> dict[str, Any]:
    start = 1_700_000_000_000_000_000 + (0 if parent is None else 1_000_000)
    return {
        "v": 1,
        "trace_id": trace,
        "span_id": span,
        "parent_id": parent,
        "remote_parent": False,
        "name": name,
        "start": start,
        "end": start + 250_000_000,
        "status": "ERROR" if attrs.pop("error", False) else "OK",
        "message": "boom" if parent is None and trace == B else "",
        "attributes": attrs,
        "events": [],
    }


@pytest.fixture
def db(tmp_path: Path) -> str:
    uri = f"sqlite:///{tmp_path / 'cli.db'}"
    store = SqlTraceStore(uri)
    store.write_records(
        [
            _record(
                A,
                "a" * 16,
                None,
                "agent",
                **{"spanwise.span.type": "AGENT", "spanwise.trace.tags.env": "prod"},
            ),
            _record(
                A,
                "b" * 16,
                "a" * 16,
                "chat gpt-4o-mini",
                **{
                    "gen_ai.operation.name": "chat",
                    "gen_ai.usage.input_tokens": 12,
                    "gen_ai.usage.output_tokens": 9,
                },
            ),
            _record(B, "c" * 16, None, "job", error=True, **{"spanwise.trace.tags.env": "dev"}),
        ]
    )
    store.close()
    return uri


def test_list_and_filter(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["traces", "list", "--tracking-uri", db]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:3] == ["TRACE", "ID", "STATE"]
    assert {line.split()[0] for line in lines[1:]} == {f"tr-{A}", f"tr-{B}"}
    assert main(["traces", "list", "--tracking-uri", db, "--filter", "tags.env = 'prod'"]) == 0
    out = capsys.readouterr().out
    assert f"tr-{A}" in out and f"tr-{B}" not in out and "env=prod" in out
    assert main(["traces", "list", "--tracking-uri", db, "--filter", "status = 'ERROR'"]) == 0
    assert f"tr-{B}" in capsys.readouterr().out


def test_show_prints_the_tree(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["traces", "show", A, "--tracking-uri", db]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == f"tr-{A}  OK  250.0 ms"
    assert "└── agent [AGENT]  250.0 ms" in out
    assert "    └── chat gpt-4o-mini [CHAT_MODEL]  250.0 ms  tokens 12 in / 9 out" in out


def test_export_writes_json_lines(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "out.jsonl"
    assert (
        main(
            [
                "traces",
                "export",
                "--tracking-uri",
                db,
                "--filter",
                "tags.env = 'prod'",
                "-o",
                str(target),
            ]
        )
        == 0
    )
    lines = target.read_text().splitlines()
    assert len(lines) == 1
    trace = Trace.from_json(lines[0])
    assert trace.info.trace_id == f"tr-{A}"
    assert [s.name for s in trace.data.spans] == ["agent", "chat gpt-4o-mini"]
    assert "exported 1 traces" in capsys.readouterr().err
    assert main(["traces", "export", "--tracking-uri", db]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 2


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["traces", "show", "0" * 32], "no trace tr-" + "0" * 32),
        (["traces", "list", "--tracking-uri", "/nonexistent/dir/x.db"], "no trace store at"),
    ],
)
def test_errors_are_one_message_and_exit_1(
    db: str, argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    if "--tracking-uri" not in argv:
        argv = [*argv, "--tracking-uri", db]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith("spanwise: error: ") and message in err
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize(
    ("argv", "flag", "message"),
    [
        (["traces", "list", "--max-results", "-5"], "--max-results", "got -5"),
        (["traces", "list", "--max-results", "0"], "--max-results", "got 0"),
        (["traces", "list", "--max-results", "ten"], "--max-results", "got 'ten'"),
        (["traces", "export", "--max-results", "-1"], "--max-results", "positive integer"),
        (["traces", "list", "--filter", "tags.env = "], "--filter", "expected a value"),
        (["traces", "list", "--filter", "name = 'x' OR 1=1"], "--filter", "OR is not supported"),
        (
            ["traces", "list", "--filter", "timestamp_ms > 99999999999999999999999999"],
            "--filter",
            "out of range",
        ),
        (["traces", "export", "--order-by", "name; DROP TABLE traces"], "--order-by", "name;"),
        (["traces", "list", "--tracking-uri", "mysql://x"], "--tracking-uri", "Unsupported"),
        (["traces", "list", "--tracking-uri", "none"], "--tracking-uri", "memory only"),
        (["traces", "show", "xyz"], "trace_id", "Invalid trace_id 'xyz'"),
        (["traces", "list", "--bogus"], "--bogus", "unrecognized"),
        (["traces", "frobnicate"], "action", "invalid choice"),
    ],
)
def test_command_line_mistakes_are_one_line_naming_the_flag_and_exit_2(
    db: str, argv: list[str], flag: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    if "--tracking-uri" not in argv:
        argv = [*argv, "--tracking-uri", db]
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert flag in lines[0] and message in lines[0] and "error:" in lines[0]


@pytest.mark.parametrize("action", [["list"], ["show", "0" * 32], ["export"]])
def test_read_only_commands_never_create_a_store(
    action: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from spanwise.store import _config

    # An explicit URI in a directory that does not exist: no directory, no file.
    missing = tmp_path / "nonexistent" / "dir" / "x.db"
    assert main(["traces", *action, "--tracking-uri", str(missing)]) == 1
    assert "no trace store at" in capsys.readouterr().err
    assert not missing.parent.exists()
    # The default store (./spanwise.db) in an empty folder: not created either.
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.chdir(empty)
    monkeypatch.delenv("SPANWISE_TRACKING_URI")
    _config.reset_tracking_uri()
    assert main(["traces", *action]) == 1
    err = capsys.readouterr().err
    assert f"no trace store at {empty / 'spanwise.db'}" in err
    assert list(empty.iterdir()) == []


def test_a_database_without_spanwise_tables_is_not_a_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import sqlite3

    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE unrelated (x INTEGER)")
    assert main(["traces", "list", "--tracking-uri", str(other)]) == 1
    assert "no spanwise tables" in capsys.readouterr().err
    with sqlite3.connect(other) as conn:  # and nothing was added to it
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert tables == {"unrelated"}


def test_server_process_receives_and_stops_on_sigterm(tmp_path: Path) -> None:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    command = Path(sys.executable).parent / "spanwise"
    db = tmp_path / "server.db"
    process = subprocess.Popen(
        [
            str(command),
            "server",
            "--http-port",
            "0",
            "--grpc-port",
            "-1",
            "--tracking-uri",
            str(db),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "SPANWISE_SERVER_TOKEN": "t0k"},
    )
    try:
        assert process.stdout is not None
        ready = process.stdout.readline()  # printed once listening
        assert "bearer token required" in ready
        url = ready.split("OTLP/HTTP ")[1].split(" ")[0].rstrip(",")
        provider = TracerProvider()
        provider.add_span_processor(
            SimpleSpanProcessor(
                OTLPSpanExporter(endpoint=url, headers={"Authorization": "Bearer t0k"})
            )
        )
        with provider.get_tracer("t").start_as_current_span("hello") as span:
            trace_id = f"tr-{span.get_span_context().trace_id:032x}"
        provider.shutdown()
        process.send_signal(signal.SIGTERM)
        out, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    assert process.returncode == 0
    assert "1 spans stored from 1 requests" in out
    store = SqlTraceStore(f"sqlite:///{db}")
    try:
        trace = store.get_trace(trace_id)
        assert trace is not None and trace.data.spans[0].name == "hello"
    finally:
        store.close()
    assert json.loads(trace.to_json())["info"]["trace_id"] == trace_id
