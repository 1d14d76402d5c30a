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
    from google import genai
    client = genai.Client(
        api_key="gemini-zero-code-key", http_options={"base_url": os.environ["FAKE_BASE_URL"]}
    )
    client.models.generate_content(model="gemini-2.5-flash", contents="secret prompt")
    for _ in client.models.generate_content_stream(model="gemini-2.5-flash", contents="secret prompt"):
        pass
    async def embed():
        await client.aio.models.embed_content(model="text-embedding-004", contents=["secret text"])
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
        OTEL_SERVICE_NAME="zero-code-gemini",
    )
    names = [
        "generate_content gemini-2.5-flash",
        "generate_content gemini-2.5-flash",
        "embeddings text-embedding-004",
    ]
    assert [s["name"] for s in spans] == names
    plain, streamed, embedded = spans
    assert {s["scope"] for s in spans} == {"spanwise.instrumentations.gemini"}
    assert plain["resource"]["service.name"] == "zero-code-gemini"
    assert plain["attributes"]["gen_ai.provider.name"] == "gcp.gemini"
    assert plain["attributes"]["gen_ai.usage.input_tokens"] == 12
    assert streamed["attributes"]["gen_ai.usage.output_tokens"] == 9
    assert streamed["attributes"]["gen_ai.request.stream"] is True
    assert embedded["attributes"]["gen_ai.embeddings.dimension.count"] == 8
    everything = repr(spans)
    assert "gemini-zero-code-key" not in everything
    if content is None:  # zero-code records metadata only
        assert "secret prompt" not in everything and "gen_ai.input.messages" not in everything
    else:
        assert "secret prompt" in plain["attributes"]["gen_ai.input.messages"]
