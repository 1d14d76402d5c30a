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
    import os
    from langchain_core.output_parsers import StrOutputParser
    from langchain_core.prompts import ChatPromptTemplate
    from langchain_openai import ChatOpenAI
    model = ChatOpenAI(model="gpt-4o-mini", base_url=os.environ["FAKE_BASE_URL"],
                       api_key="lc-zero-code-key", max_retries=0)
    chain = ChatPromptTemplate.from_messages([("human", "secret {q}")]) | model | StrOutputParser()
    chain.invoke({"q": "prompt"})
    print("done")
    """
)


@pytest.mark.parametrize("content", [None, "true"])
def test_zero_code(tmp_path: Path, fake_server: Any, content: str | None) -> None:
    spans = zero_code(
        tmp_path,
        APP,
        4,
        content=content,
        FAKE_BASE_URL=fake_server.base_url,
        SPANWISE_TRACKING_URI="none",
        OTEL_SERVICE_NAME="zero-code-langchain",
    )
    # spanwise_openai is loaded too: the SDK call under ChatOpenAI is still one span.
    assert sorted(s["name"] for s in spans) == [
        "ChatPromptTemplate",
        "RunnableSequence",
        "StrOutputParser",
        "chat gpt-4o-mini",
    ]
    model = next(s for s in spans if s["name"] == "chat gpt-4o-mini")
    assert model["scope"] == "spanwise.instrumentations.langchain"
    assert model["resource"]["service.name"] == "zero-code-langchain"
    assert model["attributes"]["gen_ai.provider.name"] == "openai"
    assert model["attributes"]["gen_ai.usage.input_tokens"] == 12
    everything = repr(spans)
    assert "lc-zero-code-key" not in everything
    if content is None:  # zero-code records metadata only
        assert "secret" not in everything and "gen_ai.input.messages" not in everything
    else:
        assert "secret prompt" in model["attributes"]["gen_ai.input.messages"]
