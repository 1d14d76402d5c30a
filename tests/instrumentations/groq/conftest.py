"""The real groq SDK against the local fake OpenAI-compatible server (Groq's
``/openai/v1`` paths, its ``x_groq`` stream extension), instrumented by spanwise."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

groq = pytest.importorskip("groq")

from fake_openai import CANARY_KEY, FakeOpenAI  # noqa: E402


@pytest.fixture(scope="session")
def fake_server() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def base_url(fake_server: FakeOpenAI) -> str:
    """The server's root: the SDK adds ``/openai/v1/...`` itself."""
    return f"http://127.0.0.1:{fake_server.port}"


@pytest.fixture
def autolog() -> Iterator[None]:
    import spanwise

    spanwise.groq.autolog()
    yield
    spanwise.groq.autolog(disable=True)


@pytest.fixture
def client(base_url: str, autolog: None) -> Any:
    return groq.Groq(base_url=base_url, api_key=CANARY_KEY, max_retries=0)


@pytest.fixture
def async_client(base_url: str, autolog: None) -> Any:
    return groq.AsyncGroq(base_url=base_url, api_key=CANARY_KEY, max_retries=0)
