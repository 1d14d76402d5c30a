"""Span types (MLflow's names) and how they map onto ``gen_ai.operation.name``."""

from __future__ import annotations

from enum import Enum
from typing import Final

from ._gen_ai import OperationName

__all__ = ["OPERATION_BY_SPAN_TYPE", "SPAN_TYPE_BY_OPERATION", "SpanType"]


class SpanType(str, Enum):
    """The kind of work a span records. Any other string is accepted too."""

    LLM = "LLM"
    CHAT_MODEL = "CHAT_MODEL"
    CHAIN = "CHAIN"
    AGENT = "AGENT"
    TOOL = "TOOL"
    RETRIEVER = "RETRIEVER"
    EMBEDDING = "EMBEDDING"
    RERANKER = "RERANKER"
    PARSER = "PARSER"
    MEMORY = "MEMORY"
    WORKFLOW = "WORKFLOW"
    TASK = "TASK"
    GUARDRAIL = "GUARDRAIL"
    EVALUATOR = "EVALUATOR"
    UNKNOWN = "UNKNOWN"

    def __str__(self) -> str:
        return self.value


# Span types whose spans also carry the matching GenAI operation.
OPERATION_BY_SPAN_TYPE: Final[dict[str, str]] = {
    SpanType.LLM.value: OperationName.CHAT,
    SpanType.CHAT_MODEL.value: OperationName.CHAT,
    SpanType.AGENT.value: OperationName.INVOKE_AGENT,
    SpanType.TOOL.value: OperationName.EXECUTE_TOOL,
    SpanType.EMBEDDING.value: OperationName.EMBEDDINGS,
    SpanType.RETRIEVER.value: OperationName.RETRIEVAL,
    SpanType.WORKFLOW.value: OperationName.INVOKE_WORKFLOW,
}

# Reading spans that carry only a GenAI operation (e.g. from another instrumentation).
SPAN_TYPE_BY_OPERATION: Final[dict[str, str]] = {
    OperationName.CHAT: SpanType.CHAT_MODEL.value,
    OperationName.GENERATE_CONTENT: SpanType.CHAT_MODEL.value,
    OperationName.TEXT_COMPLETION: SpanType.LLM.value,
    OperationName.EMBEDDINGS: SpanType.EMBEDDING.value,
    OperationName.RETRIEVAL: SpanType.RETRIEVER.value,
    OperationName.CREATE_AGENT: SpanType.AGENT.value,
    OperationName.INVOKE_AGENT: SpanType.AGENT.value,
    OperationName.EXECUTE_TOOL: SpanType.TOOL.value,
    OperationName.INVOKE_WORKFLOW: SpanType.WORKFLOW.value,
}
