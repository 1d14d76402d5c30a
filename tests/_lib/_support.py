"""Helpers for asserting on whole exported spans (snapshot style)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan

PEERS_PYTHON_ENV = "SPANWISE_PEERS_PYTHON"


def span_dict(span: ReadableSpan, *, times: bool = False) -> dict[str, Any]:
    """An exported span as a plain dict: what a backend receives."""
    ctx = span.context
    assert ctx is not None
    out: dict[str, Any] = {
        "name": span.name,
        "kind": span.kind.name,
        "trace_id": ctx.trace_id,
        "span_id": ctx.span_id,
        "parent_id": None if span.parent is None else span.parent.span_id,
        "status": span.status.status_code.name,
        "attributes": dict(span.attributes or {}),
    }
    if span.status.description:
        out["status_description"] = span.status.description
    events = [
        {"name": e.name, "attributes": dict(e.attributes or {})}
        | ({"timestamp": e.timestamp} if times else {})
        for e in span.events
    ]
    if events:
        out["events"] = events
    if times:
        out["start_time"] = span.start_time
        out["end_time"] = span.end_time
    return out


def spans_by_name(spans: tuple[ReadableSpan, ...] | list[ReadableSpan]) -> dict[str, ReadableSpan]:
    out: dict[str, ReadableSpan] = {}
    for span in spans:
        assert span.name not in out, f"two spans named {span.name}"
        out[span.name] = span
    return out


def loads(value: Any) -> Any:
    assert isinstance(value, str), f"expected a JSON string, got {type(value).__name__}"
    return json.loads(value)


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without its OTEL_* and SPANWISE_* settings, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "SPANWISE_"))}
    env.update(extra)
    return env


def run_child(
    command: list[str], *, env: dict[str, str], cwd: Path | None = None, timeout: float = 120
) -> str:
    """Run ``command`` to its end (bounded); assert it exited 0, showing its stderr if
    not; its standard output."""
    done = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def peers_python() -> str:
    """The interpreter of the peers' venv (OpenLLMetry and OpenInference installed beside
    spanwise: `make test` builds .venv-peers and sets SPANWISE_PEERS_PYTHON); skips the
    test when the variable is unset, fails when it names no interpreter."""
    python = os.environ.get(PEERS_PYTHON_ENV)
    if not python:
        pytest.skip(
            f"{PEERS_PYTHON_ENV} is unset: the peer instrumentors live in their own venv "
            "(`make test` builds .venv-peers and sets it; or `make .venv-peers/.installed` "
            f"and {PEERS_PYTHON_ENV}=$PWD/.venv-peers/bin/python)"
        )
    assert Path(python).is_file(), f"{PEERS_PYTHON_ENV}={python}: no such interpreter"
    return python


def zero_code(
    tmp_path: Path,
    app: str,
    count: int,
    *,
    content: str | None = None,
    protocol: str | None = None,
    **env: str,
) -> list[dict[str, Any]]:
    """Run ``app`` (its last line printed must be ``done``) under ``opentelemetry-instrument``,
    exporting OTLP/HTTP to a local receiver (or OTLP in ``protocol``, ``grpc`` to the
    receiver's gRPC port), with this process's OTEL_*/SPANWISE_* settings replaced by
    ``env`` (and content capture set when ``content`` is given): the spans received once
    ``count`` have come (or 10 s passed), in arrival order."""
    from otlp_receiver import OTLPReceiver

    instrument = shutil.which("opentelemetry-instrument", path=str(Path(sys.executable).parent))
    assert instrument is not None
    (tmp_path / "app.py").write_text(app)
    receiver = OTLPReceiver().start()
    try:
        full = clean_env(
            OTEL_BSP_SCHEDULE_DELAY="100",
            OTEL_EXPORTER_OTLP_ENDPOINT=(
                receiver.grpc_endpoint if protocol == "grpc" else receiver.http_endpoint
            ),
            **env,
        )
        if protocol is not None:
            full["OTEL_EXPORTER_OTLP_PROTOCOL"] = protocol
        if content is not None:
            full["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"] = content
        out = run_child([instrument, sys.executable, "app.py"], env=full, cwd=tmp_path)
        assert out.strip().splitlines()[-1] == "done"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and len(receiver.spans) < count:
            time.sleep(0.05)
        time.sleep(0.2)  # anything more that was coming
        return receiver.spans[:]
    finally:
        receiver.stop()
