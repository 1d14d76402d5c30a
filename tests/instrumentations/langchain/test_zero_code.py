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


def _spans(receiver: OTLPReceiver, count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and len(receiver.spans) < count:
        time.sleep(0.05)
    time.sleep(0.2)  # anything more that was coming
    return receiver.spans[:]


@pytest.mark.parametrize("content", [None, "true"])
def test_zero_code(tmp_path: Path, fake_server: Any, content: str | None) -> None:
    instrument = shutil.which("opentelemetry-instrument", path=str(Path(sys.executable).parent))
    assert instrument is not None
    (tmp_path / "app.py").write_text(APP)
    receiver = OTLPReceiver().start()
    try:
        env = clean_env(
            FAKE_BASE_URL=fake_server.base_url,
            SPANWISE_TRACKING_URI="none",
            OTEL_SERVICE_NAME="zero-code-langchain",
            OTEL_BSP_SCHEDULE_DELAY="100",
            OTEL_EXPORTER_OTLP_ENDPOINT=receiver.http_endpoint,
        )
        if content is not None:
            env["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"] = content
        out = run_child([instrument, sys.executable, "app.py"], env=env, cwd=tmp_path)
        assert out.strip() == "done"
        spans = _spans(receiver, 4)
    finally:
        receiver.stop()
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
