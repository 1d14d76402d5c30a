"""Node postprocessors (rerankers) as RERANKER spans: the documents in and out.

LLMRerank (llama-index-core's own, its model a MockLLM whose answer a parse function
reads) and a reranker written as LlamaIndex's integrations write theirs (Cohere's,
SentenceTransformer's): ReRank events around its own scoring.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import semconv_check

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

QUERY_TREE = [
    ("RetrieverQueryEngine.query", "INTERNAL", None, None),
    ("retrieval VectorIndexRetriever", "CLIENT", "retrieval", "RetrieverQueryEngine.query"),
    ("embeddings unknown", "CLIENT", "embeddings", "retrieval VectorIndexRetriever"),
    ("reranker LLMRerank", "INTERNAL", None, "RetrieverQueryEngine.query"),
    ("text_completion unknown", "CLIENT", "text_completion", "reranker LLMRerank"),
    ("CompactAndRefine.synthesize", "INTERNAL", None, "RetrieverQueryEngine.query"),
    ("text_completion unknown", "CLIENT", "text_completion", "CompactAndRefine.synthesize"),
]
SPAN_TYPES = ["CHAIN", "RETRIEVER", "EMBEDDING", "RERANKER", "LLM", "CHAIN", "LLM"]


def _llm_rerank() -> Any:
    """LLMRerank keeping the model's choice: the second document it is given, relevance 9."""
    from llama_index.core.llms.mock import MockLLM
    from llama_index.core.postprocessor import LLMRerank

    return LLMRerank(
        llm=MockLLM(max_tokens=2),
        top_n=1,
        parse_choice_select_answer_fn=lambda raw, n: ([2], [9.0]),
    )


def _span_types(exporter: InMemorySpanExporter) -> list[Any]:
    spans = sorted(exporter.get_finished_spans(), key=lambda s: s.start_time or 0)
    return [(s.attributes or {}).get("spanwise.span.type") for s in spans]


def _query(index: Any, exporter: InMemorySpanExporter) -> dict[str, Any]:
    """A query through LLMRerank; the retrieved documents by id, in retrieval order."""
    from llama_index.core.llms.mock import MockLLM

    exporter.clear()
    engine = index.as_query_engine(
        llm=MockLLM(max_tokens=4), similarity_top_k=2, node_postprocessors=[_llm_rerank()]
    )
    response = engine.query("what is alpha?")
    assert str(response) == "text text text text"
    (retrieval,) = (
        s for s in exporter.get_finished_spans() if s.name == "retrieval VectorIndexRetriever"
    )
    documents = json.loads((retrieval.attributes or {})["gen_ai.retrieval.documents"])
    return {d["id"]: d for d in documents}


def test_reranker_in_a_query(
    autolog: None,
    index: Any,
    exporter: InMemorySpanExporter,
    tree: Callable[[], list[Any]],
    attrs: Callable[[str], dict[str, Any]],
) -> None:
    retrieved = _query(index, exporter)
    assert tree() == QUERY_TREE
    assert _span_types(exporter) == SPAN_TYPES

    rerank = attrs("reranker LLMRerank")
    assert "gen_ai.operation.name" not in rerank  # the conventions have no rerank operation
    assert rerank["spanwise.span.type"] == "RERANKER"
    inputs = json.loads(rerank["spanwise.span.inputs"])
    assert inputs["query"] == "what is alpha?"
    assert {d["id"]: d for d in inputs["documents"]} == retrieved  # ids, scores, text
    second = list(retrieved.values())[1]
    assert json.loads(rerank["gen_ai.retrieval.documents"]) == [
        {"id": second["id"], "score": 9.0, "content": second["content"]}
    ]
    if semconv_check.available():
        for span in exporter.get_finished_spans():
            semconv_check.check_attributes(span.attributes or {})


def test_reranker_without_content(
    monkeypatch: pytest.MonkeyPatch,
    autolog: None,
    index: Any,
    exporter: InMemorySpanExporter,
    tree: Callable[[], list[Any]],
    attrs: Callable[[str], dict[str, Any]],
) -> None:
    from spanwise.common._content import reset_content_settings

    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "false")
    reset_content_settings()
    retrieved = _query(index, exporter)
    assert tree() == QUERY_TREE
    assert _span_types(exporter) == SPAN_TYPES
    second = list(retrieved)[1]
    assert attrs("reranker LLMRerank") == {
        "spanwise.span.type": "RERANKER",
        "gen_ai.retrieval.documents": json.dumps(
            [{"id": second, "score": 9.0}], separators=(",", ":")
        ),
    }
    assert "alpha" not in repr([dict(s.attributes or {}) for s in exporter.get_finished_spans()])


def _keyword_reranker(fail: bool = False) -> Any:
    """A reranker as LlamaIndex's integrations write one: its own scoring between
    ReRank events (those carry the model's name)."""
    from llama_index.core.instrumentation import get_dispatcher
    from llama_index.core.instrumentation.events.rerank import ReRankEndEvent, ReRankStartEvent
    from llama_index.core.postprocessor.types import BaseNodePostprocessor
    from llama_index.core.schema import NodeWithScore

    dispatcher = get_dispatcher(__name__)

    class KeywordRerank(BaseNodePostprocessor):
        def _postprocess_nodes(self, nodes: Any, query_bundle: Any = None) -> Any:
            query = query_bundle.query_str
            dispatcher.event(
                ReRankStartEvent(query=query, nodes=nodes, top_n=1, model_name="keyword-v1")
            )
            if fail:
                raise ValueError("reranker down")
            scored = [
                NodeWithScore(node=n.node, score=float(query.split()[-1] in n.node.text))
                for n in nodes
            ]
            best = sorted(scored, key=lambda n: -(n.score or 0))[:1]
            dispatcher.event(ReRankEndEvent(nodes=best))
            return best

    return KeywordRerank()


def _nodes() -> list[Any]:
    from llama_index.core.schema import NodeWithScore, TextNode

    return [
        NodeWithScore(node=TextNode(id_="n-a", text="alpha first"), score=0.5),
        NodeWithScore(node=TextNode(id_="n-o", text="omega last"), score=0.7),
    ]


def test_reranker_called_alone_with_its_model(
    autolog: None,
    exporter: InMemorySpanExporter,
    tree: Callable[[], list[Any]],
    attrs: Callable[[str], dict[str, Any]],
) -> None:
    exporter.clear()
    best = _keyword_reranker().postprocess_nodes(_nodes(), query_str="which is alpha")
    assert [n.node.node_id for n in best] == ["n-a"]
    assert tree() == [("reranker KeywordRerank", "INTERNAL", None, None)]
    assert attrs("reranker KeywordRerank") == {
        "spanwise.span.type": "RERANKER",
        "gen_ai.request.model": "keyword-v1",
        "spanwise.span.inputs": json.dumps(
            {
                "query": "which is alpha",
                "documents": [
                    {"id": "n-a", "score": 0.5, "content": "alpha first"},
                    {"id": "n-o", "score": 0.7, "content": "omega last"},
                ],
            },
            separators=(",", ":"),
        ),
        "gen_ai.retrieval.documents": '[{"id":"n-a","score":1.0,"content":"alpha first"}]',
    }


async def test_async_reranker_nests_under_the_query(
    autolog: None, index: Any, exporter: InMemorySpanExporter, tree: Callable[[], list[Any]]
) -> None:
    from llama_index.core.llms.mock import MockLLM

    exporter.clear()
    engine = index.as_query_engine(
        llm=MockLLM(max_tokens=4), similarity_top_k=2, node_postprocessors=[_keyword_reranker()]
    )
    await engine.aquery("what is alpha")
    rows = tree()
    assert rows[3] == ("reranker KeywordRerank", "INTERNAL", None, "RetrieverQueryEngine.aquery")
    assert [row[0] for row in rows] == [
        "RetrieverQueryEngine.aquery",
        "retrieval VectorIndexRetriever",
        "embeddings unknown",
        "reranker KeywordRerank",
        "CompactAndRefine.asynthesize",
        "text_completion unknown",
    ]


def test_reranker_error_is_recorded_and_propagates(
    autolog: None, exporter: InMemorySpanExporter, tree: Callable[[], list[Any]]
) -> None:
    exporter.clear()
    with pytest.raises(ValueError, match="reranker down"):
        _keyword_reranker(fail=True).postprocess_nodes(_nodes(), query_str="alpha")
    assert tree() == [("reranker KeywordRerank", "INTERNAL", None, None)]
    (span,) = exporter.get_finished_spans()
    assert span.status.status_code.name == "ERROR"
    assert (span.attributes or {})["error.type"] == "ValueError"
    assert (span.attributes or {})["gen_ai.request.model"] == "keyword-v1"


def test_a_fault_in_the_reranker_span_never_reaches_the_app(
    monkeypatch: pytest.MonkeyPatch,
    exporter: InMemorySpanExporter,
    internal_errors: list[BaseException],
) -> None:
    import spanwise
    from spanwise.instrumentations.llama_index import _handler

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("spanwise bug")

    monkeypatch.setattr(_handler, "retrieval_documents", broken)
    monkeypatch.setitem(_handler._EVENTS, "ReRankStartEvent", broken)
    exporter.clear()
    spanwise.llama_index.autolog()
    try:
        best = _keyword_reranker().postprocess_nodes(_nodes(), query_str="which is alpha")
    finally:
        spanwise.llama_index.autolog(disable=True)
    assert [n.node.node_id for n in best] == ["n-a"]
    assert [str(e) for e in internal_errors] == ["spanwise bug", "spanwise bug"]
    # The span still ends (without what failed to be recorded).
    assert [s.name for s in exporter.get_finished_spans()] == ["reranker KeywordRerank"]
