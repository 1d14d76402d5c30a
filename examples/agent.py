"""A tool-calling "agent" made of plain Python functions, traced with spanwise.

Run it with `make demo`. The planner stands in for an LLM: it reads the conversation
and either asks for a tool or answers. Every step becomes an OpenTelemetry span; the
trace is then read back from the store and printed as a tree.
"""

from __future__ import annotations

import json
from typing import Any

import spanwise
from spanwise.entities import SpanType

WEATHER = {"paris": {"temp_c": 18, "sky": "cloudy"}, "tokyo": {"temp_c": 24, "sky": "clear"}}


@spanwise.trace(span_type=SpanType.TOOL)
def get_weather(city: str) -> dict[str, Any]:
    """A tool: the current weather in a city."""
    report = WEATHER.get(city.lower())
    if report is None:
        raise KeyError(f"no weather station in {city}")
    return {"city": city, **report}


@spanwise.trace(span_type=SpanType.TOOL)
def convert_to_fahrenheit(celsius: float) -> float:
    """A tool: unit conversion."""
    return round(celsius * 9 / 5 + 32, 1)


TOOLS = {"get_weather": get_weather, "convert_to_fahrenheit": convert_to_fahrenheit}


@spanwise.trace(name="plan", span_type=SpanType.CHAT_MODEL)
def plan(messages: list[dict[str, Any]]) -> dict[str, Any]:
    """Stands in for an LLM call: picks the next tool call, or answers."""
    results = [json.loads(m["content"]) for m in messages if m["role"] == "tool"]
    if not results:
        return {"tool": "get_weather", "arguments": {"city": "Paris"}}
    if len(results) == 1:
        return {"tool": "convert_to_fahrenheit", "arguments": {"celsius": results[0]["temp_c"]}}
    weather, fahrenheit = results
    return {"answer": f"It is {weather['sky']} in {weather['city']}, {fahrenheit} °F."}


@spanwise.trace(name="weather_agent", span_type=SpanType.AGENT)
def run_agent(question: str) -> str:
    spanwise.update_current_trace(tags={"app": "demo", "user": "ada"}, metadata={"version": "1"})
    messages: list[dict[str, Any]] = [{"role": "user", "content": question}]
    for _ in range(5):
        step = plan(messages)
        if "answer" in step:
            return str(step["answer"])
        result = TOOLS[step["tool"]](**step["arguments"])
        messages.append({"role": "tool", "content": json.dumps(result)})
    return "I could not finish."


def main() -> None:
    answer = run_agent("What's the weather in Paris, in Fahrenheit?")
    print(f"agent answered: {answer}\n")

    # Read the trace back from the store (SPANWISE_TRACKING_URI; default ./spanwise.db).
    trace_id = spanwise.get_last_active_trace_id()
    traces = spanwise.search_traces(
        "tags.app = 'demo' AND span.type = 'TOOL'", max_results=1, return_type="list"
    )
    assert traces and traces[0].info.trace_id == trace_id, "the trace should be in the store"
    trace = traces[0]
    print(trace.to_tree())
    tools = trace.search_spans(span_type=SpanType.TOOL)
    print(f"\n{len(tools)} tool calls: " + ", ".join(f"{s.name}({s.inputs})" for s in tools))
    print(f"store: {spanwise.get_tracking_uri()}")
    print(f"trace JSON (MLflow's shape): {len(trace.to_json())} bytes")


if __name__ == "__main__":
    main()
