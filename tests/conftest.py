"""Shared fixtures.

The test process plays an application that set its own SDK ``TracerProvider`` (with a
deterministic id generator and an in-memory exporter) before using spanwise, so every
test also checks that spanwise joins an existing pipeline. spanwise's own provider
set-up is tested in subprocesses (tests/exporter/test_provider.py).
"""

from __future__ import annotations

import os

# spanwise's internal errors must be loud under tests (see common/_safety.py).
os.environ["SPANWISE_RAISE_INTERNAL_ERRORS"] = "1"
# LiteLLM fetches its model cost map from GitHub at import (spanwise.autolog() imports it).
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.id_generator import IdGenerator

SHARED = Path(__file__).resolve().parents[2] / "shared"


class SequentialIds(IdGenerator):
    """Ids 1, 2, 3... so that whole exported spans can be compared as snapshots."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._spans = itertools.count(1)
        self._traces = itertools.count(1)

    def generate_span_id(self) -> int:
        return next(self._spans)

    def generate_trace_id(self) -> int:
        return next(self._traces)


IDS = SequentialIds()
EXPORTER = InMemorySpanExporter()
PROVIDER = TracerProvider(id_generator=IDS)
PROVIDER.add_span_processor(SimpleSpanProcessor(EXPORTER))
trace.set_tracer_provider(PROVIDER)


@pytest.fixture(autouse=True)
def _fresh_spanwise(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test: its own store file, empty in-memory traces, ids from 1, settings reread."""
    from spanwise.common._content import reset_content_settings
    from spanwise.exporter import _provider
    from spanwise.store import _config

    monkeypatch.setenv("SPANWISE_TRACKING_URI", str(tmp_path / "traces.db"))
    _provider.flush()
    _config.reset_tracking_uri()
    reset_content_settings()
    from spanwise.exporter import _read

    _provider.assembler.clear()
    _read.tag_edits.clear()  # trace ids restart in every test
    EXPORTER.clear()
    IDS.reset()
    yield
    _provider.flush()
    _config.reset_tracking_uri()
    reset_content_settings()


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    """The spans the application's own pipeline exported during the test."""
    return EXPORTER


class FakeClock:
    """Nanosecond clock that advances 1 ms per reading, from a fixed epoch."""

    def __init__(self, start_ns: int = 1_700_000_000_000_000_000, step_ns: int = 1_000_000) -> None:
        self.now = start_ns
        self.step = step_ns

    def __call__(self) -> int:
        self.now += self.step
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """Fixed span and event times (the SDK reads ``time_ns`` in one module)."""
    import opentelemetry.sdk.trace as sdk_trace

    fake = FakeClock()
    monkeypatch.setattr(sdk_trace, "time_ns", fake)
    return fake


@pytest.fixture
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"../shared is absent ({SHARED}): reference data not available")
    return SHARED


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL URL: SPANWISE_TEST_POSTGRES_URL, or a throwaway local server.

    Skips with the reason when none can be had, unless SPANWISE_REQUIRE_POSTGRES is set
    (CI), where that is a failure.
    """
    url = os.environ.get("SPANWISE_TEST_POSTGRES_URL")
    if url:
        yield url
        return
    from pg import PostgresServer

    server = None
    try:
        server = PostgresServer()
        url = server.start()
    except Exception as exc:
        if server is not None:
            server.stop()
        message = f"no PostgreSQL server could be started here: {exc}"
        if os.environ.get("SPANWISE_REQUIRE_POSTGRES"):
            pytest.fail(message)
        pytest.skip(message)
    try:
        yield url
    finally:
        server.stop()
