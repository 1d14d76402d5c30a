"""What the agent-framework tests share (AutoGen AgentChat, AG2, DSPy): the folder's
collection guard, the fake OpenAI server and autolog fixtures, and span trees.

A conftest binds the fixtures by name::

    collect_ignore_glob = collect_unless(installed)
    fake_server = fake_openai_fixture()
    autolog = autolog_fixture("ag2")
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

__all__ = [
    "attrs",
    "autolog_fixture",
    "collect_unless",
    "fake_openai_fixture",
    "only_attrs",
    "tree",
]


def collect_unless(installed: bool) -> list[str]:
    """A conftest's ``collect_ignore_glob``: the folder's tests are not collected where the
    framework is absent (it lives in its own venv). Not a conftest-level skip, which errors
    when the folder is named on the command line."""
    return [] if installed else ["test_*.py"]


def fake_openai_fixture() -> Any:
    """A session fixture ``fake_server``: fake_openai's server, started once."""

    @pytest.fixture(scope="session", name="fake_server")
    def fake_server() -> Iterator[Any]:
        from fake_openai import FakeOpenAI

        server = FakeOpenAI().start()
        yield server
        server.stop()

    return fake_server


def autolog_fixture(library: str) -> Any:
    """A fixture ``autolog``: ``spanwise.<library>.autolog()`` for the test, then disabled."""

    @pytest.fixture(name="autolog")
    def autolog() -> Iterator[None]:
        import spanwise

        module = getattr(spanwise, library)
        module.autolog()
        yield
        module.autolog(disable=True)

    return autolog


def tree(
    exporter: InMemorySpanExporter, *, kinds: bool = False, all_parents: bool = False
) -> list[tuple[Any, ...]]:
    """``(depth, name, span type[, kind])`` in start order: the whole tree, parents
    checked (``all_parents``: every parent must have been exported too)."""
    spans = exporter.get_finished_spans()
    by_id = {s.context.span_id: s for s in spans if s.context is not None}

    def depth(span: ReadableSpan) -> int:
        level = 0
        while span.parent is not None:
            if span.parent.span_id not in by_id:
                assert not all_parents, f"{span.name}: its parent was not exported"
                break
            span = by_id[span.parent.span_id]
            level += 1
        return level

    ordered = sorted(spans, key=lambda s: s.start_time or 0)
    return [
        (depth(s), s.name, str((s.attributes or {}).get("spanwise.span.type")))
        + ((s.kind.name,) if kinds else ())
        for s in ordered
    ]


def attrs(exporter: InMemorySpanExporter, name: str, index: int = 0) -> dict[str, Any]:
    """The attributes of the ``index``-th span (in start order) named ``name``."""
    spans = sorted(
        (s for s in exporter.get_finished_spans() if s.name == name),
        key=lambda s: s.start_time or 0,
    )
    return dict(spans[index].attributes or {})


def only_attrs(exporter: InMemorySpanExporter, name: str) -> dict[str, Any]:
    """The attributes of the one span named ``name`` (asserting there is one)."""
    (span,) = [s for s in exporter.get_finished_spans() if s.name == name]
    return dict(span.attributes or {})
