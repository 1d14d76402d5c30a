"""The real litellm against local fake servers (OpenAI's API for ``openai/...`` models,
Anthropic's Messages API for ``anthropic/...`` ones), instrumented by spanwise.

LiteLLM never reaches the network here: its model cost map is its bundled copy (it
fetches one from GitHub at import unless ``LITELLM_LOCAL_MODEL_COST_MAP`` is set), no
logging callback is configured, and every model is sent to a loopback ``api_base``.
"""

from __future__ import annotations

import os

# Before litellm is imported (anywhere in the session).
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from collections.abc import Iterator
from typing import Any

import pytest

litellm = pytest.importorskip("litellm")

from fake_anthropic import CANARY_KEY as ANTHROPIC_KEY  # noqa: E402
from fake_anthropic import FakeAnthropic  # noqa: E402
from fake_openai import CANARY_KEY, FakeOpenAI  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def _quiet_litellm() -> None:
    """No telemetry, no callbacks, no banners on stdout."""
    if hasattr(litellm, "telemetry"):
        litellm.telemetry = False
    litellm.suppress_debug_info = True
    assert not litellm.callbacks and not litellm.success_callback


@pytest.fixture(autouse=True)
def _fresh_clients() -> None:
    """Older LiteLLM (1.60) caches async clients across event loops (each test has its
    own): a client of a closed loop fails the next test's call."""
    cache = getattr(litellm, "in_memory_llm_clients_cache", None)
    flush = getattr(cache, "flush_cache", None)
    if callable(flush):
        flush()


@pytest.fixture(scope="session")
def fake_openai() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def fake_anthropic() -> Iterator[FakeAnthropic]:
    server = FakeAnthropic().start()
    yield server
    server.stop()


@pytest.fixture
def openai_args(fake_openai: FakeOpenAI) -> dict[str, Any]:
    """Where ``openai/...`` models go: the fake server, with the canary key."""
    return {"api_base": fake_openai.base_url, "api_key": CANARY_KEY, "num_retries": 0}


@pytest.fixture
def fake_server(fake_openai: FakeOpenAI) -> FakeOpenAI:
    """The server of ``client``: the shared contract's name (tests/_lib/chat_contract.py)."""
    return fake_openai


@pytest.fixture
def client(openai_args: dict[str, Any], autolog: None) -> dict[str, Any]:
    """What the shared contract's calls take: LiteLLM has no client, only call arguments."""
    return openai_args


@pytest.fixture
def async_client(client: dict[str, Any]) -> dict[str, Any]:
    return client


@pytest.fixture
def anthropic_args(fake_anthropic: FakeAnthropic) -> dict[str, Any]:
    return {"api_base": fake_anthropic.base_url, "api_key": ANTHROPIC_KEY, "num_retries": 0}


@pytest.fixture
def autolog() -> Iterator[None]:
    import spanwise

    spanwise.litellm.autolog()
    yield
    spanwise.litellm.autolog(disable=True)
