"""Zero-code: an app that never imports spanwise, under `opentelemetry-instrument`."""

from __future__ import annotations

import shutil
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from _support import clean_env, run_child
from otlp_receiver import OTLPReceiver

pytestmark = pytest.mark.slow

APP = textwrap.dedent(
    """
    import os, anthropic
    client = anthropic.Anthropic(base_url=os.environ["FAKE_BASE_URL"], api_key="sk-ant-zero-code", max_retries=0)
    messages = [{"role": "user", "content": "secret prompt"}]
    client.messages.create(model="claude-x", max_tokens=64, messages=messages)
    with client.messages.stream(model="claude-x", max_tokens=64, messages=messages) as stream:
        stream.until_done()
    print("done")
    """
)


def _spans(receiver: OTLPReceiver, before: int, count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and len(receiver.spans) - before < count:
        time.sleep(0.05)
    time.sleep(0.2)  # anything more that was coming
    return receiver.spans[before:]


@pytest.mark.parametrize("content", [None, "true"])
def test_zero_code(tmp_path: Path, fake_server: Any, content: str | None) -> None:
    instrument = shutil.which("opentelemetry-instrument", path=str(Path(sys.executable).parent))
    assert instrument is not None
    (tmp_path / "app.py").write_text(APP)
    receiver = OTLPReceiver().start()
    try:
        env = clean_env(
            FAKE_BASE_URL=fake_server.base_url,
            SPANWISE_TRACKING_URI="none",
            OTEL_SERVICE_NAME="zero-code-anthropic",
            OTEL_BSP_SCHEDULE_DELAY="100",
            OTEL_EXPORTER_OTLP_ENDPOINT=receiver.http_endpoint,
        )
        if content is not None:
            env["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"] = content
        out = run_child([instrument, sys.executable, "app.py"], env=env, cwd=tmp_path)
        assert out.strip() == "done"
        spans = _spans(receiver, 0, 2)
    finally:
        receiver.stop()
    # One span per call: spanwise's (the SDK's own call span gives way to it).
    assert [s["name"] for s in spans] == ["chat claude-x", "chat claude-x"]
    plain, streamed = spans
    assert plain["scope"] == "spanwise.instrumentations.anthropic"
    assert plain["resource"]["service.name"] == "zero-code-anthropic"
    assert plain["attributes"]["gen_ai.provider.name"] == "anthropic"
    assert plain["attributes"]["gen_ai.usage.input_tokens"] == 19
    assert streamed["attributes"]["gen_ai.usage.output_tokens"] == 9
    everything = repr(spans)
    assert "sk-ant-zero-code" not in everything
    if content is None:  # zero-code records metadata only
        assert "secret prompt" not in everything and "gen_ai.input.messages" not in everything
    else:
        assert "secret prompt" in plain["attributes"]["gen_ai.input.messages"]
