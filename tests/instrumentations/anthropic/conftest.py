"""The real anthropic SDK against a local fake Messages API, instrumented by spanwise."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

anthropic = pytest.importorskip("anthropic")

from fake_anthropic import CANARY_KEY, FakeAnthropic  # noqa: E402


@pytest.fixture(scope="session")
def fake_server() -> Iterator[FakeAnthropic]:
    server = FakeAnthropic().start()
    yield server
    server.stop()


@pytest.fixture
def autolog() -> Iterator[None]:
    import spanwise

    spanwise.anthropic.autolog()
    yield
    spanwise.anthropic.autolog(disable=True)


@pytest.fixture
def client(fake_server: FakeAnthropic, autolog: None) -> Any:
    return anthropic.Anthropic(base_url=fake_server.base_url, api_key=CANARY_KEY, max_retries=0)


@pytest.fixture
def async_client(fake_server: FakeAnthropic, autolog: None) -> Any:
    return anthropic.AsyncAnthropic(
        base_url=fake_server.base_url, api_key=CANARY_KEY, max_retries=0
    )
