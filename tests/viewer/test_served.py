"""The viewer served by the commands: `spanwise server` (next to /v1/traces, one process
receives OTLP and shows it) and `spanwise ui`."""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest


def _start(args: list[str]) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "spanwise.server._cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "SPANWISE_SERVER_TOKEN": "", "SPANWISE_UI_TOKEN": ""},
    )
    lines: queue.Queue[str] = queue.Queue()
    stdout = process.stdout
    assert stdout is not None
    threading.Thread(target=lambda: lines.put(stdout.readline()), daemon=True).start()
    try:
        return process, lines.get(timeout=30)
    except queue.Empty:
        process.kill()
        raise AssertionError(f"{args} printed nothing in 30 s") from None


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    process, line = _start(
        [
            "server",
            "--http-port",
            "0",
            "--grpc-port",
            "-1",
            "--token",
            "tok",
            "--tracking-uri",
            str(tmp_path / "served.db"),
        ]
    )
    try:
        found = re.search(r"viewer (http://127\.0\.0\.1:\d+/)", line)
        assert found is not None, line
        yield found.group(1)
    finally:
        process.terminate()
        process.wait(timeout=10)


def _otlp(name: str) -> dict[str, object]:
    now = time.time_ns()
    span = {
        "traceId": "5" * 32,
        "spanId": "6" * 16,
        "name": name,
        "kind": 2,
        "startTimeUnixNano": str(now),
        "endTimeUnixNano": str(now + 3_000_000),
        "attributes": [{"key": "spanwise.span.type", "value": {"stringValue": "AGENT"}}],
    }
    resource = {"attributes": [{"key": "service.name", "value": {"stringValue": "shop"}}]}
    return {"resourceSpans": [{"resource": resource, "scopeSpans": [{"spans": [span]}]}]}


def test_the_server_receives_and_shows_on_one_port(server: str) -> None:
    auth = {"Authorization": "Bearer tok"}
    with httpx.Client(base_url=server, timeout=10) as client:
        sent = client.post("/v1/traces", json=_otlp("checkout"), headers=auth)
        assert sent.status_code == 200, sent.text
        assert client.get("/api/traces").status_code == 401  # the token guards the viewer
        listed = client.get("/api/traces", headers=auth).json()["traces"]
        assert [(t["trace_id"], t["name"], t["service"]) for t in listed] == [
            ("tr-" + "5" * 32, "checkout", "shop")
        ]
        page = client.get("/", headers=auth)
        assert page.status_code == 200 and "static/app.js" in page.text
        assert client.get("/health").status_code == 200  # the receiver's own routes stay


def test_ui_serves_a_store_and_refuses_a_missing_one(tmp_path: Path) -> None:
    missing = subprocess.run(
        [
            sys.executable,
            "-m",
            "spanwise.server._cli",
            "ui",
            "--tracking-uri",
            str(tmp_path / "no.db"),
        ],
        capture_output=True,
        check=False,
        text=True,
        timeout=60,
    )
    assert missing.returncode == 1
    assert "no trace store at" in missing.stderr
    from spanwise.store._sql import SqlTraceStore

    SqlTraceStore(f"sqlite:///{tmp_path / 'empty.db'}").close()
    process, line = _start(["ui", "--port", "0", "--tracking-uri", str(tmp_path / "empty.db")])
    try:
        found = re.search(r"(http://127\.0\.0\.1:\d+/)", line)
        assert found is not None, line
        body = httpx.get(found.group(1) + "api/traces", timeout=10).json()
        assert body == {"traces": [], "next_page_token": None, "total": 0}
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0
