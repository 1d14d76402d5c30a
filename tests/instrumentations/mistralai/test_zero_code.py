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
    try:
        from mistralai.client import Mistral
    except ImportError:
        from mistralai import Mistral
    client = Mistral(api_key="mistral-zero-code-key", server_url=os.environ["FAKE_BASE_URL"])
    messages = [{"role": "user", "content": "secret prompt"}]
    client.chat.complete(model="mistral-small", messages=messages)
    with client.chat.stream(model="mistral-small", messages=messages) as stream:
        for _ in stream:
            pass
    async def embed():
        await client.embeddings.create_async(model="mistral-embed", inputs=["secret text"])
    asyncio.run(embed())
    print("done")
    """
)


@pytest.mark.parametrize("content", [None, "true"])
def test_zero_code(tmp_path: Path, fake_server: Any, content: str | None) -> None:
    spans = zero_code(
        tmp_path,
        APP,
        3,
        content=content,
        FAKE_BASE_URL=fake_server.base_url,
        SPANWISE_TRACKING_URI="none",
        OTEL_SERVICE_NAME="zero-code-mistral",
        # The SDK's own tracing too (3.x asks for it; 2.x traces on any provider): it
        # gives way to spanwise's span.
        MISTRAL_SDK_TELEMETRY="global",
    )
    # One span per call: spanwise's.
    names = ["chat mistral-small", "chat mistral-small", "embeddings mistral-embed"]
    assert [s["name"] for s in spans] == names
    plain, streamed, embedded = spans
    assert {s["scope"] for s in spans} == {"spanwise.instrumentations.mistralai"}
    assert plain["resource"]["service.name"] == "zero-code-mistral"
    assert plain["attributes"]["gen_ai.provider.name"] == "mistral_ai"
    assert plain["attributes"]["gen_ai.usage.input_tokens"] == 12
    assert streamed["attributes"]["gen_ai.usage.output_tokens"] == 9
    assert streamed["attributes"]["gen_ai.request.stream"] is True
    assert embedded["attributes"]["gen_ai.embeddings.dimension.count"] == 8
    everything = repr(spans)
    assert "mistral-zero-code-key" not in everything
    if content is None:  # zero-code records metadata only
        assert "secret prompt" not in everything and "gen_ai.input.messages" not in everything
    else:
        assert "secret prompt" in plain["attributes"]["gen_ai.input.messages"]
