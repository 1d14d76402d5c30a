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


def _legacy_scripted_llm() -> Any:
    """The same script where llama-index-core (< 0.13) has no MockFunctionCallingLLM nor
    tool-call blocks: its tool call in ``additional_kwargs``, as the OpenAI integration
    keeps one there."""
    from llama_index.core.base.llms.types import (
        ChatMessage,
        ChatResponse,
        LLMMetadata,
        MessageRole,
    )
    from llama_index.core.llms.callbacks import llm_chat_callback
    from llama_index.core.llms.function_calling import FunctionCallingLLM
    from llama_index.core.llms.llm import ToolSelection

    def answer(messages: Sequence[Any]) -> Any:
        results = [m for m in messages if m.role == MessageRole.TOOL]
        if results:
            return ChatMessage(role="assistant", content=f"The sum is {results[-1].content}.")
        arguments = '{"a": 2, "b": 3}'
        call = {
            "id": "call_1",
            "type": "function",
            "function": {"name": "add", "arguments": arguments},
        }
        return ChatMessage(role="assistant", content=None, additional_kwargs={"tool_calls": [call]})

    class ScriptedLLM(FunctionCallingLLM):  # type: ignore[misc]
        @property
        def metadata(self) -> Any:
            return LLMMetadata(is_function_calling_model=True)

        def _prepare_chat_with_tools(
            self, tools: Any, user_msg: Any = None, chat_history: Any = None, **kwargs: Any
        ) -> dict[str, Any]:
            messages = list(chat_history or [])
            if user_msg is not None:
                as_message = isinstance(user_msg, str)
                messages.append(
                    ChatMessage(role="user", content=user_msg) if as_message else user_msg
                )
            return {"messages": messages, "tools": [t.metadata.to_openai_tool() for t in tools]}

        def get_tool_calls_from_response(self, response: Any, *args: Any, **kwargs: Any) -> Any:
            import json

            calls = response.message.additional_kwargs.get("tool_calls", [])
            return [
                ToolSelection(
                    tool_id=c["id"],
                    tool_name=c["function"]["name"],
                    tool_kwargs=json.loads(c["function"]["arguments"]),
                )
                for c in calls
            ]

        @llm_chat_callback()
        def chat(self, messages: Any, **kwargs: Any) -> Any:
            return ChatResponse(message=answer(messages))

        @llm_chat_callback()
        async def achat(self, messages: Any, **kwargs: Any) -> Any:
            return ChatResponse(message=answer(messages))

        @llm_chat_callback()
        def stream_chat(self, messages: Any, **kwargs: Any) -> Any:
            message = answer(messages)
            return iter([ChatResponse(message=message, delta=message.content or "")])

        @llm_chat_callback()
        async def astream_chat(self, messages: Any, **kwargs: Any) -> Any:
            message = answer(messages)

            async def gen() -> Any:
                yield ChatResponse(message=message, delta=message.content or "")

            return gen()

        def complete(self, *args: Any, **kwargs: Any) -> Any:
            raise NotImplementedError

        async def acomplete(self, *args: Any, **kwargs: Any) -> Any:
            raise NotImplementedError

        def stream_complete(self, *args: Any, **kwargs: Any) -> Any:
            raise NotImplementedError

        async def astream_complete(self, *args: Any, **kwargs: Any) -> Any:
            raise NotImplementedError

    return ScriptedLLM()


def scripted_llm() -> Any:
    """A function-calling model: asks for add(a=2, b=3), then answers with its result."""
    try:
        from llama_index.core.llms.mock import MockFunctionCallingLLM
    except ImportError:  # llama-index-core < 0.13
        return _legacy_scripted_llm()
    return MockFunctionCallingLLM(response_generator=_scripted)


def make_agent(tool: Callable[..., Any] = add) -> Any:
    """A FunctionAgent with one tool ``add`` (``tool`` is its function) and a scripted
    function-calling model (two calls)."""
    pytest.importorskip(
        "llama_index.core.agent.workflow", reason="this llama-index-core has no workflow agents"
    )
    from llama_index.core.agent.workflow import FunctionAgent
    from llama_index.core.tools import FunctionTool

    llm = scripted_llm()
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
