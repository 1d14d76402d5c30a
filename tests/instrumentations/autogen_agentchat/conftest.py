"""The real AutoGen AgentChat 0.7 with autogen-ext's OpenAI client, against the local fake
OpenAI server, instrumented by spanwise. AutoGen needs its own venv (autogen-core pins
protobuf 5): these tests skip where it is not installed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from fake_openai import CANARY_KEY, FakeOpenAI
from framework_support import autolog_fixture, collect_unless, fake_openai_fixture

try:
    import autogen_agentchat  # noqa: F401
    import autogen_ext.models.openai  # noqa: F401

    _INSTALLED = True
except ImportError:
    _INSTALLED = False
collect_ignore_glob = collect_unless(_INSTALLED)
fake_server = fake_openai_fixture()
autolog = autolog_fixture("autogen_agentchat")

MODEL_INFO = {
    "vision": False,
    "function_calling": True,
    "json_output": True,
    "family": "unknown",
    "structured_output": True,
}


@pytest.fixture(autouse=True)
def _quiet_runtime(monkeypatch: pytest.MonkeyPatch) -> None:
    """AutoGen's runtime messaging spans are AutoGen's (tests that want them unset this)."""
    monkeypatch.setenv("AUTOGEN_DISABLE_RUNTIME_TRACING", "true")


@pytest.fixture
def client_for(fake_server: FakeOpenAI) -> Callable[[str], Any]:
    """An OpenAI model client on the fake for a model name (the name picks the scenario)."""
    from autogen_ext.models.openai import OpenAIChatCompletionClient

    def make(model: str) -> Any:
        return OpenAIChatCompletionClient(
            model=model,
            base_url=fake_server.base_url,
            api_key=CANARY_KEY,
            model_info=MODEL_INFO,  # type: ignore[arg-type]
            temperature=0.2,
            max_retries=0,
        )

    return make


@pytest.fixture
def model_client(client_for: Callable[[str], Any]) -> Any:
    return client_for("gpt-4o-mini")
