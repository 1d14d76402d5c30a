"""Zero-code: an app that never imports spanwise, under `opentelemetry-instrument`."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from _support import zero_code

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


def _run(
    tmp_path: Path, fake_server: Any, count: int = 2, **env: Any
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The app's spans: all of them, and its two chat spans (plain, streamed)."""
    spans = zero_code(
        tmp_path,
        APP,
        count,
        FAKE_BASE_URL=fake_server.base_url,
        SPANWISE_TRACKING_URI="none",
        OTEL_SERVICE_NAME="zero-code-app",
        **env,
    )
    return spans, [s for s in spans if s["name"] == "chat gpt-4o-mini"]


@pytest.mark.parametrize("protocol", ["grpc", "http/protobuf"])
def test_zero_code_exports_metadata_only(tmp_path: Path, fake_server: Any, protocol: str) -> None:
    spans, (plain, streamed) = _run(tmp_path, fake_server, protocol=protocol)
    assert plain["scope"] == "spanwise.instrumentations.openai"
    assert plain["resource"]["service.name"] == "zero-code-app"
    assert plain["attributes"]["gen_ai.provider.name"] == "openai"
    assert plain["attributes"]["gen_ai.usage.input_tokens"] == 12
    assert streamed["attributes"]["gen_ai.request.stream"] is True
    everything = repr(spans)
    assert "secret prompt" not in everything and "gen_ai.input.messages" not in everything
    assert "sk-zero-code" not in everything


def test_zero_code_content_when_the_env_asks(tmp_path: Path, fake_server: Any) -> None:
    _, (plain, _) = _run(tmp_path, fake_server, content="true")
    assert "secret prompt" in plain["attributes"]["gen_ai.input.messages"]


def test_zero_code_can_be_disabled(tmp_path: Path, fake_server: Any) -> None:
    spans, _ = _run(
        tmp_path,
        fake_server,
        0,
        OTEL_PYTHON_DISABLED_INSTRUMENTATIONS="openai,spanwise_openai",
    )
    assert [s for s in spans if s["name"].startswith("chat")] == []


@pytest.mark.parametrize(
    ("dialect", "key", "value"),
    [
        ("mlflow", "mlflow.spanType", '"CHAT_MODEL"'),
        ("openinference", "openinference.span.kind", "LLM"),
    ],
)
def test_zero_code_export_dialect(
    tmp_path: Path, fake_server: Any, dialect: str, key: str, value: str
) -> None:
    """SPANWISE_EXPORT_DIALECT under opentelemetry-instrument: spanwise's configurator
    wraps the SDK's exporter, so the spans leave in that dialect."""
    _, (plain, _) = _run(tmp_path, fake_server, SPANWISE_EXPORT_DIALECT=dialect)
    assert plain["attributes"][key] == value
    assert plain["attributes"]["gen_ai.operation.name"] == "chat"  # the genai keys stay
