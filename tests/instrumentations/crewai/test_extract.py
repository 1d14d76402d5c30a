"""CrewAI's extraction on plain objects: no crewai needed."""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace as NS

from spanwise.instrumentations.crewai import _extract as x


def test_plain_prefers_structured_output() -> None:
    assert x.plain(NS(raw="text", json_dict={"a": 1}, pydantic=None)) == {"a": 1}
    assert x.plain(NS(raw="text", json_dict=None, pydantic=None)) == "text"
    assert x.plain({"raw": 1, "nested": [NS(raw="r", json_dict=None, pydantic=None)]}) == {
        "raw": 1,
        "nested": ["r"],
    }


def test_model_and_provider() -> None:
    assert x.llm_model(NS(model="anthropic/claude-3-5", provider="openai")) == (
        "anthropic",
        "claude-3-5",
    )
    assert x.llm_model(NS(model="gemini-2.0-flash", provider="gemini")) == (
        "gcp.gemini",
        "gemini-2.0-flash",
    )
    llm = NS(
        model="gpt-4o",
        provider="openai",
        temperature=0.5,
        max_tokens=100.0,
        stop=["x"],
        base_url="https://api.openai.com/v1",
        top_p=None,
        seed=None,
        stream=None,
    )
    model, attrs = x.llm_request(llm, {"temperature": 0.1})
    assert model == "gpt-4o"
    assert attrs == {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "gpt-4o",
        "gen_ai.request.temperature": 0.1,  # the call's, over the LLM's
        "gen_ai.request.max_tokens": 100,
        "gen_ai.request.stop_sequences": ["x"],
        "gen_ai.provider.name": "openai",
        "server.address": "api.openai.com",
        "server.port": 443,
    }


def test_usage_aliases_and_outcomes() -> None:
    usage = {"prompt_token_count": 5, "candidates_token_count": 3, "cached_prompt_tokens": 2}
    assert x.llm_usage_attributes(usage) == {
        "gen_ai.usage.input_tokens": 5,
        "gen_ai.usage.output_tokens": 3,
        "gen_ai.usage.cache_read.input_tokens": 2,
    }
    anthropic_call = NS(id="toolu_1", name="get_weather", input={"city": "Paris"})
    completed = {"response": [anthropic_call], "usage": None, "response_id": "msg_1"}
    assert x.llm_response_attributes(completed) == {
        "gen_ai.response.id": "msg_1",
        "gen_ai.response.finish_reasons": ["tool_calls"],
    }
    (message,) = x.llm_response_content(completed)["gen_ai.output.messages"]
    assert json.loads(json.dumps(message)) == {
        "role": "assistant",
        "parts": [
            {
                "type": "tool_call",
                "id": "toolu_1",
                "name": "get_weather",
                "arguments": {"city": "Paris"},
            }
        ],
        "finish_reason": "tool_calls",
    }
    (text,) = x.llm_response_content({"response": "hi", "finish_reason": "length"})[
        "gen_ai.output.messages"
    ]
    assert text == {
        "role": "assistant",
        "parts": [{"type": "text", "content": "hi"}],
        "finish_reason": "length",
    }


class ResearchFlow:
    name = None


def test_flows() -> None:
    assert x.flow_name(ResearchFlow()) == "ResearchFlow"
    named = ResearchFlow()
    named.name = "research"
    assert x.flow_name(named) == "research"
    assert not x.internal_flow(named)  # this module is not crewai's
    assert x.internal_flow(type("AgentExecutor", (), {"__module__": "crewai.agents.x"})())
    assert x.method_output(("result", "event-id")) == "result"
    assert x.method_output("result") == "result"
    assert x.method_output(()) is None


async def test_in_event_loop() -> None:
    assert x.in_event_loop()
    assert not await asyncio.to_thread(x.in_event_loop)
