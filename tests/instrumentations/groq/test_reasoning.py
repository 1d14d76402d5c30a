"""A reasoning model's thinking beside the answer becomes a reasoning part.

Groq's ``reasoning_format="parsed"`` returns it in ``message.reasoning`` (streamed in
``delta.reasoning``); DeepSeek and vLLM spell it ``reasoning_content``, which the OpenAI
SDK keeps as an extra field. Both go through the shared Chat Completions core.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from fake_openai import CANARY_KEY, REASONING, TEXT, FakeOpenAI

EXPECTED = [
    {
        "role": "assistant",
        "parts": [
            {"type": "reasoning", "content": REASONING},
            {"type": "text", "content": TEXT},
        ],
        "finish_reason": "stop",
    }
]
ASK = [{"role": "user", "content": "Weather in Paris?"}]


def _output(exporter: InMemorySpanExporter) -> Any:
    (span,) = exporter.get_finished_spans()
    return json.loads(str((span.attributes or {})["gen_ai.output.messages"]))


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
def test_groq_parsed_reasoning(client: Any, exporter: InMemorySpanExporter, stream: bool) -> None:
    kwargs: dict[str, Any] = {"model": "reasoning", "messages": ASK}
    if stream:
        text = "".join(
            c.choices[0].delta.content or ""
            for c in client.chat.completions.create(stream=True, **kwargs)
        )
    else:
        text = client.chat.completions.create(**kwargs).choices[0].message.content
    assert text == TEXT
    assert _output(exporter) == EXPECTED


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
def test_openai_sdk_reasoning_content(
    fake_server: FakeOpenAI, exporter: InMemorySpanExporter, stream: bool
) -> None:
    import openai

    import spanwise

    spanwise.openai.autolog()
    try:
        client = openai.OpenAI(
            base_url=f"http://127.0.0.1:{fake_server.port}/v1", api_key=CANARY_KEY, max_retries=0
        )
        kwargs: dict[str, Any] = {"model": "reasoning-content", "messages": ASK}
        if stream:
            for _ in client.chat.completions.create(stream=True, **kwargs):
                pass
        else:
            client.chat.completions.create(**kwargs)
    finally:
        spanwise.openai.autolog(disable=True)
    assert _output(exporter) == EXPECTED
