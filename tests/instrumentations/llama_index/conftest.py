"""llama-index-core instrumented by spanwise, with models that need no network (MockLLM,
MockEmbedding, a function-calling LLM scripted per test) and spans read back whole."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest

pytest.importorskip("llama_index.core")

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
    InMemorySpanExporter,
)


@pytest.fixture
def internal_errors(monkeypatch: pytest.MonkeyPatch) -> list[BaseException]:
    """spanwise's own errors in the handlers (LlamaIndex's dispatcher would swallow them):
    a test fails if any occurred."""
    from spanwise.instrumentations.llama_index import _handler

    seen: list[BaseException] = []
    monkeypatch.setattr(_handler, "report_internal_error", lambda site, exc: seen.append(exc))
    return seen


@pytest.fixture
def autolog(internal_errors: list[BaseException]) -> Iterator[None]:
    import spanwise

    spanwise.llama_index.autolog()
    yield
    spanwise.llama_index.autolog(disable=True)
    assert internal_errors == []


Row = tuple[str, str, "str | None", "str | None"]


def _tree(spans: Sequence[ReadableSpan]) -> list[Row]:
    """(name, kind, operation, parent's name) of each span, in start order."""
    by_id = {s.context.span_id: s for s in spans if s.context is not None}
    out: list[Row] = []
    for span in sorted(spans, key=lambda s: s.start_time or 0):
        parent = by_id.get(span.parent.span_id) if span.parent is not None else None
        if span.parent is not None:
            assert parent is not None, f"{span.name}: its parent was not exported"
        attrs = span.attributes or {}
        operation = attrs.get("gen_ai.operation.name")
        out.append(
            (
                span.name,
                span.kind.name,
                None if operation is None else str(operation),
                None if parent is None else parent.name,
            )
        )
    return out


@pytest.fixture
def tree(exporter: InMemorySpanExporter) -> Callable[[], list[Row]]:
    """The finished spans as (name, kind, operation, parent's name), in start order;
    every parent must have been exported."""
    return lambda: _tree(exporter.get_finished_spans())


@pytest.fixture
def attrs(exporter: InMemorySpanExporter) -> Callable[[str], dict[str, Any]]:
    """The attributes of the one finished span named so."""

    def of(name: str) -> dict[str, Any]:
        found = [s for s in exporter.get_finished_spans() if s.name == name]
        assert len(found) == 1, [s.name for s in exporter.get_finished_spans()]
        return dict(found[0].attributes or {})

    return of


def _scripted(messages: Sequence[Any], **kwargs: Any) -> Any:
    """A function-calling model: asks for add(a=2, b=3), then answers with its result."""
    from llama_index.core.base.llms.types import ChatMessage, MessageRole, ToolCallBlock

    results = [m for m in messages if m.role == MessageRole.TOOL]
    if results:
        return ChatMessage(role="assistant", content=f"The sum is {results[-1].content}.")
    call = ToolCallBlock(tool_call_id="call_1", tool_name="add", tool_kwargs={"a": 2, "b": 3})
    return ChatMessage(role="assistant", blocks=[call])


def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


def make_agent(tool: Callable[..., Any] = add) -> Any:
    """A FunctionAgent with one tool ``add`` (``tool`` is its function) and a scripted
    function-calling model (two calls)."""
    from llama_index.core.agent.workflow import FunctionAgent
    from llama_index.core.llms.mock import MockFunctionCallingLLM
    from llama_index.core.tools import FunctionTool

    llm = MockFunctionCallingLLM(response_generator=_scripted)
    return FunctionAgent(
        name="calculator",
        description="Adds numbers.",
        tools=[FunctionTool.from_defaults(tool, name="add")],
        llm=llm,
        system_prompt="You add numbers.",
    )


@pytest.fixture
def agent() -> Any:
    return make_agent()


@pytest.fixture
def agent_with() -> Callable[[Callable[..., Any]], Any]:
    """An agent whose tool ``add`` runs the given function."""
    return make_agent


@pytest.fixture
def index() -> Any:
    """An in-memory vector index of two documents, embedded by MockEmbedding."""
    from llama_index.core import Document, VectorStoreIndex
    from llama_index.core.embeddings import MockEmbedding

    documents = [
        Document(text="alpha is the first letter", id_="doc-a"),
        Document(text="omega is the last letter", id_="doc-o"),
    ]
    return VectorStoreIndex.from_documents(documents, embed_model=MockEmbedding(embed_dim=4))
