"""Zero-code: an app that never imports spanwise, under `opentelemetry-instrument`."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from _support import zero_code

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


@pytest.mark.parametrize("content", [None, "true"])
def test_zero_code(tmp_path: Path, base_url: str, content: str | None) -> None:
    spans = zero_code(
        tmp_path,
        APP,
        3,
        content=content,
        FAKE_BASE_URL=base_url,
        SPANWISE_TRACKING_URI="none",
        OTEL_SERVICE_NAME="zero-code-groq",
    )
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
