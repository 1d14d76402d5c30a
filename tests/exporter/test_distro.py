"""spanwise's distro loads one instrumentor per library under `opentelemetry-instrument`.

The peers (OpenLLMetry, OpenInference) register their OpenAI instrumentors under the
bare name `openai`; beside spanwise's `spanwise_openai`, every call would give three
nested spans. The distro skips them (and says so) unless SPANWISE_ALLOW_PEER_INSTRUMENTORS
asks for them. The end-to-end tests run in the peers' venv (SPANWISE_PEERS_PYTHON).
"""

from __future__ import annotations

import logging
import subprocess
import textwrap
import time
from collections.abc import Iterator
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Any

import pytest

from spanwise.exporter import _distro
from spanwise.exporter._distro import SpanwiseDistro, skip_reason
from spanwise.instrumentations._registry import covered_distributions

from _support import clean_env, peers_python
from fake_openai import FakeOpenAI
from otlp_receiver import OTLPReceiver


def _ep(name: str, value: str) -> EntryPoint:
    return EntryPoint(name, value, "opentelemetry_instrumentor")


OPENLLMETRY = _ep("openai", "opentelemetry.instrumentation.openai:OpenAIInstrumentor")
OPENINFERENCE = _ep("openai", "openinference.instrumentation.openai:OpenAIInstrumentor")
OFFICIAL = _ep("openai", "opentelemetry.instrumentation.openai_v2:OpenAIInstrumentor")
ANTHROPIC = _ep("anthropic", "openinference.instrumentation.anthropic:AnthropicInstrumentor")
SPANWISE = _ep("spanwise_openai", "spanwise.instrumentations.openai:OpenAIInstrumentor")
REQUESTS = _ep("requests", "opentelemetry.instrumentation.requests:RequestsInstrumentor")
COVERED = frozenset({"openai", "anthropic"})


# --- the decision, in process ---------------------------------------------------------


@pytest.mark.parametrize("peer", [OPENLLMETRY, OPENINFERENCE, OFFICIAL, ANTHROPIC])
def test_a_peer_for_a_covered_library_is_skipped(peer: EntryPoint) -> None:
    reason = skip_reason(peer, COVERED)
    assert reason is not None and f"spanwise_{peer.name}" in reason


@pytest.mark.parametrize("entry_point", [SPANWISE, REQUESTS])
def test_spanwise_and_uncovered_instrumentors_load(entry_point: EntryPoint) -> None:
    assert skip_reason(entry_point, COVERED) is None


def test_spanwise_own_loads_whatever_the_covered_set_says() -> None:
    assert skip_reason(SPANWISE, COVERED | {"spanwise_openai"}) is None


@pytest.mark.parametrize("allowed", ["openai", " requests , openai ", "all", "ALL", "true", "*"])
def test_the_opt_in_loads_the_peer(allowed: str) -> None:
    assert skip_reason(OPENLLMETRY, COVERED, allowed) is None


@pytest.mark.parametrize("allowed", ["", "anthropic", "openai_v2", "false"])
def test_an_opt_in_for_another_name_does_not(allowed: str) -> None:
    assert skip_reason(OPENLLMETRY, COVERED, allowed) is not None


def test_the_peer_loads_when_spanwise_own_is_disabled() -> None:
    assert skip_reason(OPENLLMETRY, COVERED, None, "requests, spanwise_openai") is None
    assert skip_reason(ANTHROPIC, COVERED, None, "spanwise_openai") is not None


def test_the_registry_covers_the_peers_real_entry_point_names() -> None:
    # The names opentelemetry-instrumentation-openai 0.62.4, openinference-instrumentation-
    # openai 0.1.66, opentelemetry-instrumentation-openai-v2 2.4b0 and both anthropic
    # packages register (their entry_points.txt): the bare library name.
    covered = covered_distributions()
    assert {"openai", "anthropic"} <= covered
    assert not [name for name in covered if name.startswith("spanwise_")]


class FakeEntryPoint:
    """An entry point whose instrumentor records how it was instrumented."""

    def __init__(self, name: str, value: str) -> None:
        self.name, self.value, self.loaded = name, value, False
        self.kwargs: dict[str, Any] | None = None

    def load(self) -> Any:
        self.loaded = True
        entry_point = self

        class Instrumentor:
            def instrument(self, **kwargs: Any) -> None:
                entry_point.kwargs = kwargs

        return Instrumentor


@pytest.fixture
def distro(monkeypatch: pytest.MonkeyPatch) -> SpanwiseDistro:
    monkeypatch.delenv(_distro.ALLOW_PEERS_ENV, raising=False)
    monkeypatch.delenv("OTEL_PYTHON_DISABLED_INSTRUMENTATIONS", raising=False)
    return SpanwiseDistro()


def test_load_instrumentor_skips_the_peer_and_says_so_once(
    distro: SpanwiseDistro, caplog: pytest.LogCaptureFixture
) -> None:
    # A module path of its own: warnings are once per entry point per process.
    peer = FakeEntryPoint("openai", "peer_once.openai:OpenAIInstrumentor")
    with caplog.at_level(logging.DEBUG, logger="spanwise"):
        distro.load_instrumentor(peer, skip_dep_check=True)
        distro.load_instrumentor(peer, skip_dep_check=True)
    assert not peer.loaded
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "'openai'" in warnings[0] and "peer_once.openai:OpenAIInstrumentor" in warnings[0]
    assert "SPANWISE_ALLOW_PEER_INSTRUMENTORS=openai" in warnings[0]
    assert "OTEL_PYTHON_DISABLED_INSTRUMENTATIONS=spanwise_openai" in warnings[0]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("spanwise_openai", "spanwise.instrumentations.openai:OpenAIInstrumentor"),
        ("requests", "opentelemetry.instrumentation.requests:RequestsInstrumentor"),
    ],
)
def test_load_instrumentor_loads_the_others(
    distro: SpanwiseDistro, caplog: pytest.LogCaptureFixture, name: str, value: str
) -> None:
    entry_point = FakeEntryPoint(name, value)
    with caplog.at_level(logging.WARNING, logger="spanwise"):
        distro.load_instrumentor(entry_point, skip_dep_check=True)
    assert entry_point.kwargs == {"skip_dep_check": True}
    assert not caplog.records


def test_load_instrumentor_honours_the_opt_in(
    distro: SpanwiseDistro, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(_distro.ALLOW_PEERS_ENV, "openai")
    peer = FakeEntryPoint("openai", "peer_opt_in.openai:OpenAIInstrumentor")
    distro.load_instrumentor(peer, skip_dep_check=True)
    assert peer.kwargs == {"skip_dep_check": True}


# --- end to end: `opentelemetry-instrument` in the peers' venv ------------------------

APP = textwrap.dedent(
    """
    import os, openai
    client = openai.OpenAI(base_url=os.environ["FAKE_BASE_URL"], api_key="sk-test", max_retries=0)
    for text in ("hi", "again"):
        client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": text}])
    print("done")
    """
)
PEER_SPANS = {"openai.chat", "ChatCompletion"}  # OpenLLMetry's and OpenInference's


@pytest.fixture(scope="module")
def receiver() -> Iterator[OTLPReceiver]:
    server = OTLPReceiver().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI().start()
    yield server
    server.stop()


def _instrumented_run(
    tmp_path: Path, fake: FakeOpenAI, receiver: OTLPReceiver, **env: str
) -> tuple[list[dict[str, Any]], str]:
    """Run APP under the peers' venv's `opentelemetry-instrument`: its spans, its stderr."""
    python = peers_python()
    (tmp_path / "app.py").write_text(APP)
    service = f"distro-{tmp_path.name}"
    full = clean_env(
        FAKE_BASE_URL=fake.base_url,
        SPANWISE_TRACKING_URI="none",
        OTEL_SERVICE_NAME=service,
        OTEL_BSP_SCHEDULE_DELAY="100",
        OTEL_EXPORTER_OTLP_ENDPOINT=receiver.http_endpoint,
        **env,
    )
    instrument = str(Path(python).parent / "opentelemetry-instrument")
    done = subprocess.run(
        [instrument, python, "app.py"],
        cwd=tmp_path,
        env=full,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "done"
    # The child flushed its spans on exit; give the receiver's threads a moment.
    deadline = time.monotonic() + 5
    spans: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        spans = [s for s in receiver.spans if s["resource"].get("service.name") == service]
        if len({s["trace_id"] for s in spans}) >= 2:
            break
        time.sleep(0.05)
    return spans, done.stderr


@pytest.mark.slow
def test_one_span_per_call_and_the_skipped_peers_named(
    tmp_path: Path, fake: FakeOpenAI, receiver: OTLPReceiver
) -> None:
    spans, stderr = _instrumented_run(tmp_path, fake, receiver)
    assert [s["name"] for s in spans] == ["chat gpt-4o-mini"] * 2
    assert {s["scope"] for s in spans} == {"spanwise.instrumentations.openai"}
    assert len({s["trace_id"] for s in spans}) == 2
    skipped = [line for line in stderr.splitlines() if "skipped the instrumentor" in line]
    assert len(skipped) == 2, stderr
    assert any("opentelemetry.instrumentation.openai:OpenAIInstrumentor" in s for s in skipped)
    assert any("openinference.instrumentation.openai:OpenAIInstrumentor" in s for s in skipped)
    assert all("SPANWISE_ALLOW_PEER_INSTRUMENTORS=openai" in s for s in skipped)


@pytest.mark.slow
@pytest.mark.parametrize("allowed", ["openai", "all"])
def test_the_opt_in_brings_the_peers_spans_back(
    tmp_path: Path, fake: FakeOpenAI, receiver: OTLPReceiver, allowed: str
) -> None:
    spans, stderr = _instrumented_run(
        tmp_path, fake, receiver, SPANWISE_ALLOW_PEER_INSTRUMENTORS=allowed
    )
    assert "skipped the instrumentor" not in stderr
    traces: dict[str, set[str]] = {}
    for span in spans:
        traces.setdefault(span["trace_id"], set()).add(span["name"])
    assert list(traces.values()) == [{"chat gpt-4o-mini"} | PEER_SPANS] * 2


@pytest.mark.slow
def test_disabling_spanwise_own_lets_the_peers_instrument(
    tmp_path: Path, fake: FakeOpenAI, receiver: OTLPReceiver
) -> None:
    spans, stderr = _instrumented_run(
        tmp_path, fake, receiver, OTEL_PYTHON_DISABLED_INSTRUMENTATIONS="spanwise_openai"
    )
    assert "skipped the instrumentor" not in stderr
    assert "chat gpt-4o-mini" not in {s["name"] for s in spans}
    assert {s["name"] for s in spans} == PEER_SPANS
