"""The real CrewAI against local OpenAI-compatible servers: ``fake_openai`` (native
function calling: it calls the first tool offered, then answers from the tool's result)
and a fake that answers in CrewAI's ReAct text format (``Action:`` / ``Final Answer:``)."""

from __future__ import annotations

import importlib.util
import json
import os
from collections.abc import Iterator
from typing import Any

import pytest

# crewai's pins (openai<3) keep it out of .venv: there its crew tests are not collected
# (`make test` runs them in the frameworks' venv).
if importlib.util.find_spec("crewai") is None:
    collect_ignore = ["test_crew.py", "test_switches.py", "test_agent_flow.py"]

# CrewAI's anonymous telemetry and its platform tracing: off (no internet in tests).
os.environ["CREWAI_DISABLE_TELEMETRY"] = "true"
os.environ["CREWAI_TRACING_ENABLED"] = "false"
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from fake_openai import CANARY_KEY, FakeOpenAI
from fake_server import Answer, FakeServer

REACT_USAGE = {"prompt_tokens": 40, "completion_tokens": 7, "total_tokens": 47}


def _react(path: str, body: dict[str, Any]) -> Answer:
    """CrewAI's ReAct loop: a tool action first, the final answer once it has observed."""
    history = [m for m in body.get("messages") or [] if m.get("role") != "system"]
    if "Observation:" in json.dumps(history):
        text = "Thought: I know it now.\nFinal Answer: It is sunny in Paris."
    else:
        text = 'Thought: Look it up.\nAction: get_weather\nAction Input: {"city": "Paris"}'
    completion = {
        "id": "chatcmpl-react-1",
        "object": "chat.completion",
        "created": 1700000000,
        "model": "gpt-4o-mini-2024-07-18",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
        ],
        "usage": REACT_USAGE,
    }
    return 200, "application/json", json.dumps(completion).encode()


@pytest.fixture(scope="session")
def fake_server() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def react_server() -> Iterator[FakeServer]:
    server = FakeServer(_react, "/v1").start()
    yield server
    server.stop()


@pytest.fixture
def autolog() -> Iterator[None]:
    import spanwise

    spanwise.crewai.autolog()
    yield
    spanwise.crewai.autolog(disable=True)


def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


def new_llm(base_url: str, model: str = "openai/gpt-4o-mini", **kwargs: Any) -> Any:
    import crewai

    return crewai.LLM(model=model, base_url=base_url, api_key=CANARY_KEY, temperature=0.2, **kwargs)


def new_crew(llm: Any, *, tools: bool = True, **task: Any) -> Any:
    """A one-agent, one-task crew: the agent asks the model, which may use the tool."""
    import crewai
    from crewai.tools import tool

    agent = crewai.Agent(
        role="Researcher",
        goal="Find the weather",
        backstory="You know the weather everywhere.",
        llm=llm,
        tools=[tool("get_weather")(get_weather)] if tools else [],
        verbose=False,
    )
    work = crewai.Task(
        description="What is the weather in {city}?",
        expected_output="One sentence.",
        agent=agent,
        name="weather",
        **task,
    )
    return crewai.Crew(agents=[agent], tasks=[work], name="weather_crew", verbose=False)


@pytest.fixture
def make_llm() -> Any:
    return new_llm


@pytest.fixture
def make_crew() -> Any:
    return new_crew
