"""What a LlamaIndex dispatcher span becomes: a GenAI span of one kind, or nothing.

LlamaIndex opens a dispatcher span for every decorated method, public and private
(``BaseQueryEngine.query`` and ``RetrieverQueryEngine._query``, ``VectorIndexRetriever.
retrieve`` and ``._retrieve``, ``TokenTextSplitter.split_text``...). spanwise keeps the
ones that are a unit of GenAI work and folds the rest into their parent, so the tree
reads as the conventions' kinds: ``invoke_agent``/``invoke_workflow`` > chain steps >
``retrieval``/``chat``/``embeddings``/``execute_tool``. Decided from the instance's type
and the method's name (``id_`` is ``"Class.method-<uuid>"``), once at span start.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from llama_index.core.base.base_query_engine import BaseQueryEngine
from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.base.llms.base import BaseLLM
from llama_index.core.chat_engine.types import BaseChatEngine
from llama_index.core.postprocessor.types import BaseNodePostprocessor
from llama_index.core.response_synthesizers.base import BaseSynthesizer
from llama_index.core.tools.types import BaseTool

# Core's own workflow classes (early 0.12), or those of llama-index-workflows it re-exports.
from llama_index.core.workflow import Event, Workflow

if TYPE_CHECKING:
    from llama_index.core.agent.workflow import AgentWorkflow, BaseWorkflowAgent
else:
    try:
        from llama_index.core.agent.workflow import AgentWorkflow, BaseWorkflowAgent
    except ImportError:  # llama-index-core before its workflow agents: none to recognise
        AgentWorkflow = BaseWorkflowAgent = type("NoWorkflowAgents", (), {})

from spanwise.semconv import GenAIAttributes as G
from spanwise.semconv import SpanType
from spanwise.semconv import SpanwiseAttributes as S

from .._invocation import (
    AGENT,
    CHAIN,
    CHAT,
    EMBEDDINGS,
    RETRIEVAL,
    TEXT_COMPLETION,
    TOOL,
    WORKFLOW,
    Kind,
    agent_attributes,
    kind_for_span_type,
    retrieval_documents,
    tool_attributes,
)
from ._extract import (
    model_name,
    provider_attributes,
    request_attributes,
    retrieved,
    split_span_id,
)

__all__ = ["RERANKER", "Plan", "Scope", "plan"]

# The conventions have no rerank operation: a RERANKER span with no gen_ai.operation.name.
RERANKER = kind_for_span_type(SpanType.RERANKER.value)

_CHAT = frozenset({"chat", "achat", "stream_chat", "astream_chat"})
_COMPLETE = frozenset({"complete", "acomplete", "stream_complete", "astream_complete"})
_EMBED = frozenset(
    {
        "get_query_embedding",
        "aget_query_embedding",
        "get_text_embedding",
        "aget_text_embedding",
        "get_text_embedding_batch",
        "aget_text_embedding_batch",
    }
)
_RETRIEVE = frozenset({"retrieve", "aretrieve"})
_QUERY = frozenset({"query", "aquery"})
_SYNTHESIZE = frozenset({"synthesize", "asynthesize"})
_TOOL = frozenset({"call", "acall", "__call__"})
# LlamaIndex opens its span on the subclass's ``_postprocess_nodes`` (the abstract method);
# the public ones too if a subclass decorates them: the outer one wins, the inner folds.
_POSTPROCESS = frozenset(
    {"postprocess_nodes", "apostprocess_nodes", "_postprocess_nodes", "_apostprocess_nodes"}
)


@dataclass(slots=True)
class Scope:
    """What a span's descendants need to know of it (inherited through folded spans)."""

    instance: Any = None  # the object whose method opened the nearest real span
    kind: Kind | None = None
    workflow: Any = None  # the workflow whose run this is inside
    agent_run: bool = False  # inside a LlamaIndex agent's run: its steps are internals
    tool_call_id: str | None = None  # set by an agent's call_tool step, for its tool


@dataclass(slots=True)
class Plan:
    """A span to start (``kind`` None: fold into the parent)."""

    kind: Kind | None
    name: str = ""
    attributes: dict[str, Any] | None = None
    content: Callable[[], Mapping[str, Any]] | None = None


_FOLD = Plan(None)


def _arguments(bound_args: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = dict(getattr(bound_args, "arguments", {}) or {})
    extra = arguments.pop("kwargs", None)
    if isinstance(extra, Mapping):
        arguments.update(extra)  # pyright: ignore[reportUnknownArgumentType]
    return arguments


def _inputs(arguments: Mapping[str, Any]) -> Callable[[], Mapping[str, Any]]:
    def content() -> Mapping[str, Any]:
        shown = {k: v for k, v in arguments.items() if k not in ("ctx", "context", "self")}
        return {S.SPAN_INPUTS: shown}

    return content


def _model(kind: Kind, instance: Any, arguments: Mapping[str, Any]) -> Plan:
    model = model_name(instance)
    attrs = kind.attributes(model)
    attrs.update(provider_attributes(instance))
    if kind is not EMBEDDINGS:
        attrs.update(request_attributes(instance, arguments))
    return Plan(kind, kind.span_name(model), attrs)


def _step(owner: str, method: str, arguments: Mapping[str, Any], scope: Scope) -> Plan:
    """A workflow step: a chain span in a user's workflow, folded in an agent's run
    (apart from a multi-agent workflow's agent turn and the tool's call id)."""
    event = next((v for v in arguments.values() if isinstance(v, Event)), None)
    if scope.agent_run:
        tool_id = getattr(event, "tool_id", None)
        if isinstance(tool_id, str):
            scope.tool_call_id = tool_id
        agent = getattr(event, "current_agent_name", None)
        if isinstance(scope.workflow, AgentWorkflow) and method == "run_agent_step" and agent:
            named = scope.workflow.agents.get(agent)
            attrs = agent_attributes(str(agent), description=getattr(named, "description", None))
            return Plan(AGENT, AGENT.span_name(agent), attrs, _inputs(arguments))
        return _FOLD
    if method.startswith("_"):
        return _FOLD  # the workflow's own steps (0.12's ``_done``)
    name = f"{type(scope.workflow).__name__}.{method}" if owner else method
    return Plan(CHAIN, name, CHAIN.attributes(), _inputs(arguments))


def plan(span_id: str, instance: Any, bound_args: Any, scope: Scope) -> Plan:
    """The span a LlamaIndex span becomes, and what its descendants inherit (``scope``
    is updated in place: the caller passes its own copy)."""
    owner, method = split_span_id(span_id)
    if instance is None or (instance is scope.workflow and method != "run"):
        # A step: a free function (llama-index-workflows), or the workflow's own method
        # (llama-index-core 0.12's workflows) that takes an event.
        arguments = _arguments(bound_args)
        if scope.workflow is not None and (
            instance is None or any(isinstance(v, Event) for v in arguments.values())
        ):
            return _step(owner, method, arguments, scope)
        return _FOLD
    if instance is scope.instance:
        return _FOLD  # a method of the object whose span this is already inside
    found = _plan(instance, method, bound_args, scope)
    if found.kind is not None:
        scope.instance, scope.kind = instance, found.kind
    return found


def _plan(instance: Any, method: str, bound_args: Any, scope: Scope) -> Plan:
    if isinstance(instance, BaseLLM):
        if method in _CHAT or method in _COMPLETE:
            kind = CHAT if method in _CHAT else TEXT_COMPLETION
            return _model(kind, instance, _arguments(bound_args))
        return _FOLD
    if isinstance(instance, BaseEmbedding):
        return _model(EMBEDDINGS, instance, {}) if method in _EMBED else _FOLD
    if isinstance(instance, BaseTool) and method in _TOOL:
        return _tool(instance, bound_args, scope)
    if isinstance(instance, BaseRetriever) and method in _RETRIEVE:
        return _retrieval(instance)
    if isinstance(instance, BaseNodePostprocessor) and method in _POSTPROCESS:
        return _rerank(instance, bound_args)
    if isinstance(instance, Workflow) and method == "run":
        return _run(instance, bound_args, scope)
    chain = (
        (isinstance(instance, BaseQueryEngine) and method in _QUERY)
        or (isinstance(instance, BaseSynthesizer) and method in _SYNTHESIZE)
        or (isinstance(instance, BaseChatEngine) and method in _CHAT)
    )
    if chain:
        name = f"{type(instance).__name__}.{method}"
        return Plan(CHAIN, name, CHAIN.attributes(), _inputs(_arguments(bound_args)))
    return _FOLD


def _tool(instance: Any, bound_args: Any, scope: Scope) -> Plan:
    metadata = getattr(instance, "metadata", None)
    name = str(getattr(metadata, "name", None) or type(instance).__name__)
    attrs = tool_attributes(
        name, scope.tool_call_id, getattr(metadata, "description", None), "function"
    )
    arguments = _arguments(bound_args)
    args = arguments.pop("args", ())
    if args and not arguments:  # tool(input) with one positional argument
        arguments = {"input": args[0]} if len(args) == 1 else {"args": args}

    def content() -> Mapping[str, Any]:
        return {G.TOOL_CALL_ARGUMENTS: arguments}

    return Plan(TOOL, TOOL.span_name(name), attrs, content)


def _retrieval(instance: Any) -> Plan:
    attrs = RETRIEVAL.attributes()
    index = getattr(instance, "_index", None)
    index_id = getattr(index, "index_id", None)
    if isinstance(index_id, str) and index_id:
        attrs[G.DATA_SOURCE_ID] = index_id
    # Named after the retriever: an index id is a uuid, which would make every name unique.
    return Plan(RETRIEVAL, RETRIEVAL.span_name(type(instance).__name__), attrs)


def _rerank(instance: Any, bound_args: Any) -> Plan:
    """A node postprocessor (a reranker, or a filter: MLflow's RERANKER too): the query
    and the documents it was given are its inputs (content); what it returns is recorded
    at its end as ``gen_ai.retrieval.documents``, as a retriever's."""
    arguments = _arguments(bound_args)
    query = arguments.get("query_bundle") or arguments.get("query_str")
    nodes = arguments.get("nodes")

    def content() -> Mapping[str, Any]:
        documents = retrieval_documents(retrieved(nodes), capture=True)
        text = getattr(query, "query_str", query)
        return {S.SPAN_INPUTS: {"query": text, "documents": documents}}

    name = type(instance).__name__
    return Plan(RERANKER, RERANKER.span_name(name), RERANKER.attributes(), content)


def _run(instance: Any, bound_args: Any, scope: Scope) -> Plan:
    scope.workflow = instance
    scope.agent_run = isinstance(instance, (BaseWorkflowAgent, AgentWorkflow))
    start = _arguments(bound_args).get("start_event")

    def content() -> Mapping[str, Any]:
        fields = getattr(start, "model_dump", None)
        return {S.SPAN_INPUTS: fields() if callable(fields) else start}

    if isinstance(instance, BaseWorkflowAgent):
        name = str(getattr(instance, "name", None) or type(instance).__name__)
        attrs = agent_attributes(name, description=getattr(instance, "description", None))
        return Plan(AGENT, AGENT.span_name(name), attrs, content)
    name = type(instance).__name__
    return Plan(WORKFLOW, WORKFLOW.span_name(name), WORKFLOW.attributes(name), content)
