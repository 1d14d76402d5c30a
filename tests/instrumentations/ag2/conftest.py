"""The real AG2 (classic API, ``import autogen``) against the local fake OpenAI server,
instrumented by spanwise. Skips where ``autogen`` is not AG2's classic package (ag2 1.x
is another framework under ``import ag2``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from fake_openai import CANARY_KEY, FakeOpenAI
from framework_support import autolog_fixture, collect_unless, fake_openai_fixture

try:
    import autogen

    _CLASSIC = hasattr(autogen, "ConversableAgent")
except ImportError:
    _CLASSIC = False
collect_ignore_glob = collect_unless(_CLASSIC)
fake_server = fake_openai_fixture()
autolog = autolog_fixture("ag2")


@pytest.fixture
def llm_config_for(fake_server: FakeOpenAI) -> Callable[[str], dict[str, Any]]:
    """An llm_config on the fake for a model name; no cache (AG2 would answer from disk)."""

    def make(model: str) -> dict[str, Any]:
        entry = {"model": model, "base_url": fake_server.base_url, "api_key": CANARY_KEY}
        return {"config_list": [entry], "cache_seed": None, "temperature": 0.2}

    return make


@pytest.fixture
def llm_config(llm_config_for: Callable[[str], dict[str, Any]]) -> dict[str, Any]:
    return llm_config_for("gpt-4o-mini")
