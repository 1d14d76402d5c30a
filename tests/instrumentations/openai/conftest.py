"""The real openai SDK against a local fake server, instrumented by spanwise."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

openai = pytest.importorskip("openai")

from fake_openai import CANARY_KEY, FakeOpenAI  # noqa: E402


@pytest.fixture(scope="session")
def fake_server() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI().start()
    yield server
    server.stop()


@pytest.fixture
def autolog() -> Iterator[None]:
    import spanwise

    spanwise.openai.autolog()
    yield
    spanwise.openai.autolog(disable=True)


@pytest.fixture
def client(fake_server: FakeOpenAI, autolog: None) -> Any:
    return openai.OpenAI(base_url=fake_server.base_url, api_key=CANARY_KEY, max_retries=0)


@pytest.fixture
def async_client(fake_server: FakeOpenAI, autolog: None) -> Any:
    return openai.AsyncOpenAI(base_url=fake_server.base_url, api_key=CANARY_KEY, max_retries=0)
