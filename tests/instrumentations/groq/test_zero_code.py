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
    import asyncio, os
    from groq import AsyncGroq, Groq
    url = os.environ["FAKE_BASE_URL"]
    client = Groq(api_key="groq-zero-code-key", base_url=url, max_retries=0)
    messages = [{"role": "user", "content": "secret prompt"}]
    client.chat.completions.create(model="llama", messages=messages)
    with client.chat.completions.create(model="llama", messages=messages, stream=True) as s:
        for _ in s:
            pass
    async def tools():
        aclient = AsyncGroq(api_key="groq-zero-code-key", base_url=url, max_retries=0)
        await aclient.chat.completions.create(model="tools", messages=messages)
    asyncio.run(tools())
    print("done")
    """
)


def _spans(receiver: OTLPReceiver, count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and len(receiver.spans) < count:
        time.sleep(0.05)
    time.sleep(0.2)  # anything more that was coming
    return receiver.spans[:]


@pytest.mark.parametrize("content", [None, "true"])
def test_zero_code(tmp_path: Path, base_url: str, content: str | None) -> None:
    instrument = shutil.which("opentelemetry-instrument", path=str(Path(sys.executable).parent))
    assert instrument is not None
    (tmp_path / "app.py").write_text(APP)
    receiver = OTLPReceiver().start()
    try:
        env = clean_env(
            FAKE_BASE_URL=base_url,
            SPANWISE_TRACKING_URI="none",
            OTEL_SERVICE_NAME="zero-code-groq",
            OTEL_BSP_SCHEDULE_DELAY="100",
            OTEL_EXPORTER_OTLP_ENDPOINT=receiver.http_endpoint,
        )
        if content is not None:
            env["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"] = content
        out = run_child([instrument, sys.executable, "app.py"], env=env, cwd=tmp_path)
        assert out.strip() == "done"
        spans = _spans(receiver, 3)
    finally:
        receiver.stop()
    assert [s["name"] for s in spans] == ["chat llama", "chat llama", "chat tools"]
    plain, streamed, tools = spans
    assert {s["scope"] for s in spans} == {"spanwise.instrumentations.groq"}
    assert plain["resource"]["service.name"] == "zero-code-groq"
    assert plain["attributes"]["gen_ai.provider.name"] == "groq"
    assert plain["attributes"]["gen_ai.usage.input_tokens"] == 12
    assert streamed["attributes"]["gen_ai.usage.output_tokens"] == 9
    assert streamed["attributes"]["gen_ai.request.stream"] is True
    assert list(tools["attributes"]["gen_ai.response.finish_reasons"]) == ["tool_calls"]
    everything = repr(spans)
    assert "groq-zero-code-key" not in everything
    if content is None:  # zero-code records metadata only
        assert "secret prompt" not in everything and "gen_ai.input.messages" not in everything
    else:
        assert "secret prompt" in plain["attributes"]["gen_ai.input.messages"]
        assert "get_weather" in tools["attributes"]["gen_ai.output.messages"]
