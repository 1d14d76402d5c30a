"""Real LangGraph graphs over LangChain's fake chat models, instrumented by spanwise."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("langgraph")

from fake_openai import FakeOpenAI


def _langchain_conftest() -> Any:
    """The tree helper of the LangChain tests (one helper for both)."""
    path = Path(__file__).resolve().parents[1] / "langchain" / "conftest.py"
    spec = importlib.util.spec_from_file_location("_langchain_tests_conftest", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


span_tree = _langchain_conftest().span_tree


@pytest.fixture(scope="session")
def fake_server() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI().start()
    yield server
    server.stop()


@pytest.fixture
def autolog() -> Iterator[None]:
    import spanwise

    spanwise.langgraph.autolog()
    yield
    spanwise.langgraph.autolog(disable=True)


@pytest.fixture
def tree(exporter: Any) -> Any:
    return lambda: span_tree(exporter.get_finished_spans())
