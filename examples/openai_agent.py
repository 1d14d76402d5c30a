"""The get_weather agent on the OpenAI SDK, traced by `spanwise.openai.autolog()`.

`make demo` runs it against a local OpenAI-compatible server (examples/fake_openai.py),
so it needs no key and no network. Point it at a real endpoint with OPENAI_BASE_URL and
OPENAI_API_KEY. With OTEL_EXPORTER_OTLP_ENDPOINT set, the trace also ships over OTLP.
"""

from __future__ import annotations

import json
import os

import openai

import spanwise
from spanwise.entities import SpanType

CLIENT: openai.OpenAI  # set in main()
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "The current weather in a city",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
]


@spanwise.trace(span_type=SpanType.TOOL)
def get_weather(city: str) -> dict[str, object]:
    return {"city": city, "temp_c": 18, "sky": "cloudy"}


@spanwise.trace(name="weather_agent", span_type=SpanType.AGENT)
def run_agent(question: str, model: str = "gpt-4o-mini") -> str:
    client = CLIENT
    spanwise.update_current_trace(tags={"app": "openai-demo"})
    messages: list[dict[str, object]] = [{"role": "user", "content": question}]
    for _ in range(4):
        response = client.chat.completions.create(model=model, messages=messages, tools=TOOLS)  # type: ignore[arg-type]
        message = response.choices[0].message
        if not message.tool_calls:
            return message.content or ""
        messages.append(message.model_dump(exclude_none=True))
        for call in message.tool_calls:
            result = get_weather(**json.loads(call.function.arguments))  # type: ignore[union-attr]
            messages.append(
                {"role": "tool", "tool_call_id": call.id, "content": json.dumps(result)}
            )
    return "I could not finish."


def main() -> None:
    server = None
    base_url = os.environ.get("OPENAI_BASE_URL")
    if base_url is None:
        from fake_openai import FakeOpenAI

        server = FakeOpenAI().start()
        base_url = server.base_url
        print(f"local OpenAI-compatible endpoint: {base_url}\n")
    spanwise.openai.autolog()
    global CLIENT
    CLIENT = openai.OpenAI(base_url=base_url, api_key=os.environ.get("OPENAI_API_KEY", "sk-demo"))
    try:
        answer = run_agent("Weather in Paris?", os.environ.get("DEMO_MODEL", "gpt-4o-mini"))
    finally:
        if server is not None:
            server.stop()
    print(f"agent answered: {answer}\n")

    trace_id = spanwise.get_last_active_trace_id()
    (trace,) = spanwise.search_traces("tags.app = 'openai-demo'", max_results=1, return_type="list")
    assert trace.info.trace_id == trace_id
    print(trace.to_tree())
    chats = trace.search_spans(span_type=SpanType.CHAT_MODEL)
    used = sum(int(s.attributes.get("gen_ai.usage.input_tokens", 0)) for s in chats)
    print(f"\n{len(chats)} model calls, {used} input tokens; store: {spanwise.get_tracking_uri()}")
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        print(f"also exported over OTLP to {os.environ['OTEL_EXPORTER_OTLP_ENDPOINT']}")
    print(
        "next: .venv/bin/spanwise traces list, .venv/bin/spanwise traces show "
        f"{trace_id}, or .venv/bin/spanwise ui to browse it"
    )


if __name__ == "__main__":
    main()
