"""The real google-genai SDK against a local fake Gemini API, instrumented by spanwise."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("google.genai")

from fake_gemini import CANARY_KEY, FakeGemini


@pytest.fixture(scope="session")
def fake_server() -> Iterator[FakeGemini]:
    server = FakeGemini().start()
    yield server
    server.stop()


@pytest.fixture
def autolog() -> Iterator[None]:
    import spanwise

    spanwise.gemini.autolog()
    yield
    spanwise.gemini.autolog(disable=True)


@pytest.fixture
def client(fake_server: FakeGemini, autolog: None) -> Any:
    from google import genai

    return genai.Client(api_key=CANARY_KEY, http_options={"base_url": fake_server.base_url})
