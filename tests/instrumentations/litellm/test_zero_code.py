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
    import litellm
    url = os.environ["FAKE_BASE_URL"]
    args = {"api_base": url, "api_key": "litellm-zero-code-key-0123456789", "num_retries": 0}
    messages = [{"role": "user", "content": "secret prompt"}]
    litellm.completion(model="openai/gpt-4o-mini", messages=messages, **args)
    for _ in litellm.completion(model="openai/gpt-4o-mini", messages=messages, stream=True,
                                stream_options={"include_usage": True}, **args):
        pass
    async def tools():
        await litellm.acompletion(model="openai/tools", messages=messages, **args)
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
def test_zero_code(tmp_path: Path, fake_openai: Any, content: str | None) -> None:
    instrument = shutil.which("opentelemetry-instrument", path=str(Path(sys.executable).parent))
    assert instrument is not None
    (tmp_path / "app.py").write_text(APP)
    receiver = OTLPReceiver().start()
    try:
        env = clean_env(
            FAKE_BASE_URL=fake_openai.base_url,
            LITELLM_LOCAL_MODEL_COST_MAP="True",
            SPANWISE_TRACKING_URI="none",
            OTEL_SERVICE_NAME="zero-code-litellm",
            OTEL_BSP_SCHEDULE_DELAY="100",
            OTEL_EXPORTER_OTLP_ENDPOINT=receiver.http_endpoint,
        )
        if content is not None:
            env["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"] = content
        out = run_child([instrument, sys.executable, "app.py"], env=env, cwd=tmp_path)
        assert out.strip().splitlines()[-1] == "done"
        spans = _spans(receiver, 3)
    finally:
        receiver.stop()
    # One span per call: the OpenAI SDK's instrumentor is loaded too, and passes through.
    assert [s["name"] for s in spans] == ["chat gpt-4o-mini", "chat gpt-4o-mini", "chat tools"]
    plain, streamed, tools = spans
    assert {s["scope"] for s in spans} == {"spanwise.instrumentations.litellm"}
    assert plain["resource"]["service.name"] == "zero-code-litellm"
    assert plain["attributes"]["gen_ai.provider.name"] == "openai"
    assert plain["attributes"]["gen_ai.usage.input_tokens"] == 12
    assert streamed["attributes"]["gen_ai.usage.output_tokens"] == 9
    assert streamed["attributes"]["gen_ai.request.stream"] is True
    assert list(tools["attributes"]["gen_ai.response.finish_reasons"]) == ["tool_calls"]
    everything = repr(spans)
    assert "litellm-zero-code-key" not in everything
    if content is None:  # zero-code records metadata only
        assert "secret prompt" not in everything and "gen_ai.input.messages" not in everything
    else:
        assert "secret prompt" in plain["attributes"]["gen_ai.input.messages"]
        assert "get_weather" in tools["attributes"]["gen_ai.output.messages"]
