"""Real langchain-core with its fake chat models, and ChatOpenAI against the local fake
OpenAI server, instrumented by spanwise."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("langchain_core")

from opentelemetry.sdk.trace import ReadableSpan

from fake_openai import CANARY_KEY, FakeOpenAI


def span_tree(spans: Any) -> str:
    """Finished spans as an indented tree, children in start order: one line per span,
    ``name [KIND span.type]`` (and ``!ERROR``): names, kinds, types and parent links."""
    spans = sorted(spans, key=lambda s: s.start_time or 0)
    ids = {s.context.span_id for s in spans}
    children: dict[int | None, list[ReadableSpan]] = {}
    for span in spans:
        parent = span.parent.span_id if span.parent is not None else None
        children.setdefault(parent if parent in ids else None, []).append(span)
    lines: list[str] = []

    def walk(parent: int | None, depth: int) -> None:
        for span in children.get(parent, []):
            attrs = span.attributes or {}
            error = " !ERROR" if span.status.status_code.name == "ERROR" else ""
            kind = span.kind.name
            lines.append(
                f"{'  ' * depth}{span.name} [{kind} {attrs.get('spanwise.span.type')}]{error}"
            )
            walk(span.context.span_id, depth + 1)

    walk(None, 0)
    return "\n".join(lines)


@pytest.fixture(scope="session")
def fake_server() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI().start()
    yield server
    server.stop()


@pytest.fixture
def autolog() -> Iterator[None]:
    import spanwise

    spanwise.langchain.autolog()
    yield
    spanwise.langchain.autolog(disable=True)


@pytest.fixture
def with_openai(autolog: None) -> Iterator[None]:
    """spanwise.openai.autolog() on too: the SDK call under ChatOpenAI is seen twice."""
    import spanwise

    spanwise.openai.autolog()
    yield
    spanwise.openai.autolog(disable=True)


@pytest.fixture
def chat_openai(fake_server: FakeOpenAI) -> Any:
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        model="gpt-4o-mini",
        base_url=fake_server.base_url,
        api_key=CANARY_KEY,  # pyright: ignore[reportArgumentType]
        max_retries=0,
        temperature=0.2,
    )


@pytest.fixture
def tree(exporter: Any) -> Any:
    """The exported spans' tree (see :func:`span_tree`)."""
    return lambda: span_tree(exporter.get_finished_spans())
