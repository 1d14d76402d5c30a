"""Stores for the viewer tests: synthetic traces written as span records."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from spanwise.model._records import SpanRecord
from spanwise.store._sql import SqlTraceStore

T0 = 1_700_000_000_000_000_000  # ns

Records = Callable[..., list[SpanRecord]]


def trace_records(
    i: int,
    *,
    start: int | None = None,
    name: str = "agent",
    status: str = "OK",
    tags: dict[str, str] | None = None,
    children: int = 2,
    service: str = "svc",
) -> list[SpanRecord]:
    """Trace ``i``: an AGENT root with a TOOL and a CHAT_MODEL child (``children``)."""
    trace_id = f"{i + 1:032x}"
    begin = T0 + i * 1_000_000_000 if start is None else start
    root_id = f"{(i + 1) * 1000:016x}"
    attributes: dict[str, Any] = {"spanwise.span.type": "AGENT"}
    attributes.update({f"spanwise.trace.tags.{k}": v for k, v in (tags or {}).items()})
    resource = {
        "attributes": {"service.name": service},
        "dropped_attributes_count": 0,
        "schema_url": "",
    }
    records: list[SpanRecord] = [
        {
            "v": 1,
            "trace_id": trace_id,
            "span_id": root_id,
            "parent_id": None,
            "remote_parent": False,
            "name": name,
            "start": begin,
            "end": begin + 250_000_000 + (i % 7) * 1_000_000,
            "status": status,
            "message": "boom" if status == "ERROR" else "",
            "attributes": attributes,
            "events": [],
            "resource": resource,
        }
    ]
    for j in range(1, children + 1):
        tool = j % 2 == 1
        child: dict[str, Any] = {
            "v": 1,
            "trace_id": trace_id,
            "span_id": f"{(i + 1) * 1000 + j:016x}",
            "parent_id": root_id,
            "remote_parent": False,
            "name": "get_weather" if tool else "chat m",
            "start": begin + j * 1_000_000,
            "end": begin + j * 2_000_000,
            "status": "OK",
            "message": "",
            "attributes": {"spanwise.span.type": "TOOL"}
            if tool
            else {
                "spanwise.span.type": "CHAT_MODEL",
                "gen_ai.usage.input_tokens": 10,
                "gen_ai.usage.output_tokens": 5,
            },
            "events": [],
            "resource": resource,
        }
        records.append(child)  # type: ignore[arg-type]  # a dict built key by key
    return records


@pytest.fixture
def records() -> Records:
    return trace_records


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlTraceStore]:
    opened = SqlTraceStore(f"sqlite:///{tmp_path / 'viewer.db'}")
    yield opened
    opened.close()
