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
    from llama_index.core.base.llms.types import ChatMessage
    from llama_index.core.llms.mock import MockLLM
    from llama_index.core.tools import FunctionTool

    def shout(text: str) -> str:
        '''Shout.'''
        return text.upper()

    MockLLM(max_tokens=2).chat([ChatMessage(role="user", content="secret prompt")])
    FunctionTool.from_defaults(shout).call(text="secret argument")
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
def test_zero_code(tmp_path: Path, content: str | None) -> None:
    instrument = shutil.which("opentelemetry-instrument", path=str(Path(sys.executable).parent))
    assert instrument is not None
    (tmp_path / "app.py").write_text(APP)
    receiver = OTLPReceiver().start()
    try:
        env = clean_env(
            SPANWISE_TRACKING_URI="none",
            OTEL_SERVICE_NAME="zero-code-llama-index",
            OTEL_BSP_SCHEDULE_DELAY="100",
            OTEL_EXPORTER_OTLP_ENDPOINT=receiver.http_endpoint,
        )
        if content is not None:
            env["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"] = content
        out = run_child([instrument, sys.executable, "app.py"], env=env, cwd=tmp_path)
        assert out.strip() == "done"
        spans = _spans(receiver, 2)
    finally:
        receiver.stop()
    assert [s["name"] for s in spans] == ["chat unknown", "execute_tool shout"]
    chat, tool = spans
    assert {s["scope"] for s in spans} == {"spanwise.instrumentations.llama_index"}
    assert chat["resource"]["service.name"] == "zero-code-llama-index"
    assert chat["attributes"]["gen_ai.provider.name"] == "llama_index"
    assert tool["attributes"]["gen_ai.tool.name"] == "shout"
    everything = repr(spans)
    if content is None:  # zero-code records metadata only
        assert "secret" not in everything
    else:
        assert "secret prompt" in chat["attributes"]["gen_ai.input.messages"]
        assert "secret argument" in tool["attributes"]["gen_ai.tool.call.arguments"]
        assert "SECRET ARGUMENT" in tool["attributes"]["gen_ai.tool.call.result"]
