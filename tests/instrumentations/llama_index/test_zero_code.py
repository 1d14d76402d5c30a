"""Zero-code: an app that never imports spanwise, under `opentelemetry-instrument`."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from _support import zero_code

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


@pytest.mark.parametrize("content", [None, "true"])
def test_zero_code(tmp_path: Path, content: str | None) -> None:
    spans = zero_code(
        tmp_path,
        APP,
        2,
        content=content,
        SPANWISE_TRACKING_URI="none",
        OTEL_SERVICE_NAME="zero-code-llama-index",
    )
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
