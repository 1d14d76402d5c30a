"""Zero-code: an app that never imports spanwise, under `opentelemetry-instrument`."""

from __future__ import annotations

import shutil
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from _support import clean_env, run_child
from otlp_receiver import OTLPReceiver

pytestmark = pytest.mark.slow

APP = textwrap.dedent(
    """
    import os, openai
    client = openai.OpenAI(base_url=os.environ["FAKE_BASE_URL"], api_key="sk-zero-code", max_retries=0)
    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "secret prompt"}])
    for _ in client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], stream=True):
        pass
    print("done")
    """
)


@pytest.fixture(scope="module")
def receiver() -> Iterator[OTLPReceiver]:
    server = OTLPReceiver().start()
    yield server
    server.stop()


def _run(tmp_path: Path, fake_server: Any, env: dict[str, str]) -> None:
    instrument = shutil.which("opentelemetry-instrument", path=str(Path(sys.executable).parent))
    assert instrument is not None
    (tmp_path / "app.py").write_text(APP)
    full = clean_env()
    full |= {
        "FAKE_BASE_URL": fake_server.base_url,
        "SPANWISE_TRACKING_URI": "none",
        "OTEL_SERVICE_NAME": "zero-code-app",
        "OTEL_BSP_SCHEDULE_DELAY": "100",
    } | env
    out = run_child([instrument, sys.executable, "app.py"], env=full, cwd=tmp_path)
    assert out.strip() == "done"


def _chat_spans(receiver: OTLPReceiver, before: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        spans = [s for s in receiver.spans[before:] if s["name"] == "chat gpt-4o-mini"]
        if len(spans) >= 2:
            return spans
        time.sleep(0.05)
    return [s for s in receiver.spans[before:] if s["name"] == "chat gpt-4o-mini"]


@pytest.mark.parametrize("protocol", ["grpc", "http/protobuf"])
def test_zero_code_exports_metadata_only(
    tmp_path: Path, fake_server: Any, receiver: OTLPReceiver, protocol: str
) -> None:
    before = len(receiver.spans)
    endpoint = receiver.grpc_endpoint if protocol == "grpc" else receiver.http_endpoint
    _run(
        tmp_path,
        fake_server,
        {"OTEL_EXPORTER_OTLP_PROTOCOL": protocol, "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint},
    )
    plain, streamed = _chat_spans(receiver, before)
    assert plain["scope"] == "spanwise.instrumentations.openai"
    assert plain["resource"]["service.name"] == "zero-code-app"
    assert plain["attributes"]["gen_ai.provider.name"] == "openai"
    assert plain["attributes"]["gen_ai.usage.input_tokens"] == 12
    assert streamed["attributes"]["gen_ai.request.stream"] is True
    everything = repr(receiver.spans[before:])
    assert "secret prompt" not in everything and "gen_ai.input.messages" not in everything
    assert "sk-zero-code" not in everything


def test_zero_code_content_when_the_env_asks(
    tmp_path: Path, fake_server: Any, receiver: OTLPReceiver
) -> None:
    before = len(receiver.spans)
    _run(
        tmp_path,
        fake_server,
        {
            "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.http_endpoint,
            "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "true",
        },
    )
    plain, _ = _chat_spans(receiver, before)
    assert "secret prompt" in plain["attributes"]["gen_ai.input.messages"]


def test_zero_code_can_be_disabled(
    tmp_path: Path, fake_server: Any, receiver: OTLPReceiver
) -> None:
    before = len(receiver.spans)
    _run(
        tmp_path,
        fake_server,
        {
            "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.http_endpoint,
            "OTEL_PYTHON_DISABLED_INSTRUMENTATIONS": "openai,spanwise_openai",
        },
    )
    time.sleep(0.5)
    assert [s for s in receiver.spans[before:] if s["name"].startswith("chat")] == []


@pytest.mark.parametrize(
    ("dialect", "key", "value"),
    [
        ("mlflow", "mlflow.spanType", '"CHAT_MODEL"'),
        ("openinference", "openinference.span.kind", "LLM"),
    ],
)
def test_zero_code_export_dialect(
    tmp_path: Path, fake_server: Any, receiver: OTLPReceiver, dialect: str, key: str, value: str
) -> None:
    """SPANWISE_EXPORT_DIALECT under opentelemetry-instrument: spanwise's configurator
    wraps the SDK's exporter, so the spans leave in that dialect."""
    before = len(receiver.spans)
    _run(
        tmp_path,
        fake_server,
        {"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.http_endpoint, "SPANWISE_EXPORT_DIALECT": dialect},
    )
    plain, _ = _chat_spans(receiver, before)
    assert plain["attributes"][key] == value
    assert plain["attributes"]["gen_ai.operation.name"] == "chat"  # the genai keys stay
