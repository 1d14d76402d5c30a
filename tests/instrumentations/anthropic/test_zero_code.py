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
    import os, anthropic
    client = anthropic.Anthropic(base_url=os.environ["FAKE_BASE_URL"], api_key="sk-ant-zero-code", max_retries=0)
    messages = [{"role": "user", "content": "secret prompt"}]
    client.messages.create(model="claude-x", max_tokens=64, messages=messages)
    with client.messages.stream(model="claude-x", max_tokens=64, messages=messages) as stream:
        stream.until_done()
    print("done")
    """
)


@pytest.mark.parametrize("content", [None, "true"])
def test_zero_code(tmp_path: Path, fake_server: Any, content: str | None) -> None:
    spans = zero_code(
        tmp_path,
        APP,
        2,
        content=content,
        FAKE_BASE_URL=fake_server.base_url,
        SPANWISE_TRACKING_URI="none",
        OTEL_SERVICE_NAME="zero-code-anthropic",
    )
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
