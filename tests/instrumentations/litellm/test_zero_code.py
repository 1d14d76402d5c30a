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


@pytest.mark.parametrize("content", [None, "true"])
def test_zero_code(tmp_path: Path, fake_openai: Any, content: str | None) -> None:
    spans = zero_code(
        tmp_path,
        APP,
        3,
        content=content,
        FAKE_BASE_URL=fake_openai.base_url,
        LITELLM_LOCAL_MODEL_COST_MAP="True",
        SPANWISE_TRACKING_URI="none",
        OTEL_SERVICE_NAME="zero-code-litellm",
    )
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
