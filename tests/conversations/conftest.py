"""Conversations: stores on SQLite and, where one can be had, PostgreSQL; the real
openai SDK against the local fake server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fake_openai import CANARY_KEY, FakeOpenAI
from pg import scratch_database


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_uri(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'conversations.db'}"
        return
    yield from scratch_database(request.getfixturevalue("postgres_url"))


@pytest.fixture(scope="session")
def fake_server() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI().start()
    yield server
    server.stop()


@pytest.fixture
def openai_client(fake_server: FakeOpenAI) -> Iterator[Any]:
    openai = pytest.importorskip("openai")
    import spanwise

    spanwise.openai.autolog()
    yield openai.OpenAI(base_url=fake_server.base_url, api_key=CANARY_KEY, max_retries=0)
    spanwise.openai.autolog(disable=True)


T0 = 1_700_000_000_000_000_000  # ns


def span_record(
    trace: int,
    span: int,
    parent: int | None,
    attributes: dict[str, Any] | None = None,
    *,
    start: int = 0,
) -> dict[str, Any]:
    """A stored span record: trace ``trace``, span ``span`` under ``parent``; starts
    ``start`` ms after T0 (and lasts 100 ms less than its parent's share)."""
    return {
        "v": 1,
        "trace_id": f"{trace:032x}",
        "span_id": f"{span:016x}",
        "parent_id": None if parent is None else f"{parent:016x}",
        "remote_parent": False,
        "name": f"span{span}",
        "start": T0 + trace * 10**9 + start * 10**6,
        "end": T0 + trace * 10**9 + (start + 100) * 10**6,
        "status": "OK",
        "message": "",
        "attributes": {"spanwise.span.type": "CHAIN", **(attributes or {})},
        "events": [],
    }


@pytest.fixture
def record() -> Any:
    return span_record
