"""The real mistralai SDK against a local fake Mistral API, instrumented by spanwise."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("mistralai")

from fake_mistral import CANARY_KEY, FakeMistral, mistral_sdk


@pytest.fixture(scope="session")
def sdk() -> Any:
    """The installed SDK's client and error classes (their modules moved in 2.0)."""
    return mistral_sdk()


@pytest.fixture(scope="session")
def fake_server() -> Iterator[FakeMistral]:
    server = FakeMistral().start()
    yield server
    server.stop()


@pytest.fixture
def autolog() -> Iterator[None]:
    import spanwise

    spanwise.mistralai.autolog()
    yield
    spanwise.mistralai.autolog(disable=True)


@pytest.fixture
def client(sdk: Any, fake_server: FakeMistral, autolog: None) -> Any:
    return sdk.Mistral(api_key=CANARY_KEY, server_url=fake_server.base_url)


@pytest.fixture
def async_client(client: Any) -> Any:
    """One Mistral client serves both: its async calls are ``*_async`` methods."""
    return client
