"""Attribute names of the other LLM span conventions spanwise reads (and writes, in the
export dialects): the GenAI conventions' deprecated names, OpenInference,
OpenLLMetry/Traceloop and MLflow. Facts from each project's published conventions."""

from __future__ import annotations

from typing import Final

__all__ = ["GenAIDeprecated", "MLflowAttributes", "OpenInference", "Traceloop"]


class GenAIDeprecated:
    """GenAI names replaced before v1.41.0, still emitted by older instrumentations."""

    SYSTEM: Final = "gen_ai.system"  # -> gen_ai.provider.name
    PROMPT: Final = "gen_ai.prompt"  # JSON message list; also gen_ai.prompt.<i>.* (Traceloop)
    COMPLETION: Final = "gen_ai.completion"
    USAGE_PROMPT_TOKENS: Final = "gen_ai.usage.prompt_tokens"
    USAGE_COMPLETION_TOKENS: Final = "gen_ai.usage.completion_tokens"
    # Per-message events (their content is in the event attributes or body).
    EVENT_SYSTEM_MESSAGE: Final = "gen_ai.system.message"
    EVENT_USER_MESSAGE: Final = "gen_ai.user.message"
    EVENT_ASSISTANT_MESSAGE: Final = "gen_ai.assistant.message"
    EVENT_TOOL_MESSAGE: Final = "gen_ai.tool.message"
    EVENT_CHOICE: Final = "gen_ai.choice"
    EVENT_CONTENT_PROMPT: Final = "gen_ai.content.prompt"
    EVENT_CONTENT_COMPLETION: Final = "gen_ai.content.completion"
    # The current conventions' opt-in event carrying the message attributes.
    EVENT_INFERENCE_DETAILS: Final = "gen_ai.client.inference.operation.details"
    EVENT_CONTENT: Final = "gen_ai.event.content"  # a JSON body, as some SDKs flatten it


class OpenInference:
    """Arize OpenInference semantic conventions (``openinference-semantic-conventions``)."""

    SPAN_KIND: Final = "openinference.span.kind"
    INPUT_VALUE: Final = "input.value"
    INPUT_MIME_TYPE: Final = "input.mime_type"
    OUTPUT_VALUE: Final = "output.value"
    OUTPUT_MIME_TYPE: Final = "output.mime_type"
    LLM_INPUT_MESSAGES: Final = "llm.input_messages"  # .<i>.message.*
    LLM_OUTPUT_MESSAGES: Final = "llm.output_messages"
    LLM_MODEL_NAME: Final = "llm.model_name"
    LLM_PROVIDER: Final = "llm.provider"
    LLM_SYSTEM: Final = "llm.system"
    LLM_INVOCATION_PARAMETERS: Final = "llm.invocation_parameters"
    LLM_FINISH_REASON: Final = "llm.finish_reason"
    EMBEDDING_INVOCATION_PARAMETERS: Final = "embedding.invocation_parameters"
    LLM_TOOLS: Final = "llm.tools"  # .<i>.tool.json_schema
    TOKEN_PROMPT: Final = "llm.token_count.prompt"
    TOKEN_COMPLETION: Final = "llm.token_count.completion"
    TOKEN_TOTAL: Final = "llm.token_count.total"
    TOKEN_CACHE_READ: Final = "llm.token_count.prompt_details.cache_read"
    TOKEN_CACHE_WRITE: Final = "llm.token_count.prompt_details.cache_write"
    TOKEN_REASONING: Final = "llm.token_count.completion_details.reasoning"
    TOOL_NAME: Final = "tool.name"
    TOOL_DESCRIPTION: Final = "tool.description"
    TOOL_PARAMETERS: Final = "tool.parameters"
    TOOL_CALL_ID: Final = "tool_call.id"
    EMBEDDING_MODEL_NAME: Final = "embedding.model_name"
    EMBEDDING_EMBEDDINGS: Final = "embedding.embeddings"  # .<i>.embedding.text/vector
    RETRIEVAL_DOCUMENTS: Final = "retrieval.documents"  # .<i>.document.*
    SESSION_ID: Final = "session.id"
    USER_ID: Final = "user.id"
    METADATA: Final = "metadata"
    TAG_TAGS: Final = "tag.tags"
    # Keys inside a flattened message / content / tool call / document.
    MESSAGE_ROLE: Final = "message.role"
    MESSAGE_CONTENT: Final = "message.content"
    MESSAGE_CONTENTS: Final = "message.contents"
    MESSAGE_NAME: Final = "message.name"
    MESSAGE_TOOL_CALLS: Final = "message.tool_calls"
    MESSAGE_TOOL_CALL_ID: Final = "message.tool_call_id"
    CONTENT_TYPE: Final = "message_content.type"
    CONTENT_TEXT: Final = "message_content.text"
    CONTENT_IMAGE_URL: Final = "message_content.image.image.url"
    TOOL_CALL_FUNCTION_NAME: Final = "tool_call.function.name"
    TOOL_CALL_FUNCTION_ARGUMENTS: Final = "tool_call.function.arguments"
    TOOL_JSON_SCHEMA: Final = "tool.json_schema"
    EMBEDDING_TEXT: Final = "embedding.text"
    DOCUMENT_ID: Final = "document.id"
    DOCUMENT_CONTENT: Final = "document.content"
    DOCUMENT_SCORE: Final = "document.score"
    DOCUMENT_METADATA: Final = "document.metadata"
    PROJECT_NAME: Final = "openinference.project.name"  # a resource attribute (Phoenix)
    MIME_JSON: Final = "application/json"
    MIME_TEXT: Final = "text/plain"


class Traceloop:
    """OpenLLMetry (Traceloop) conventions: ``opentelemetry-semantic-conventions-ai``."""

    SPAN_KIND: Final = "traceloop.span.kind"  # workflow | task | agent | tool | unknown
    ENTITY_NAME: Final = "traceloop.entity.name"
    ENTITY_INPUT: Final = "traceloop.entity.input"
    ENTITY_OUTPUT: Final = "traceloop.entity.output"
    WORKFLOW_NAME: Final = "traceloop.workflow.name"
    ASSOCIATION_PREFIX: Final = "traceloop.association.properties."
    REQUEST_TYPE: Final = "llm.request.type"  # chat | completion | embedding | rerank
    USAGE_TOTAL_TOKENS: Final = "llm.usage.total_tokens"
    USAGE_CACHE_READ: Final = "gen_ai.usage.cache_read_input_tokens"
    USAGE_CACHE_CREATION: Final = "gen_ai.usage.cache_creation_input_tokens"
    PROMPT_PREFIX: Final = "gen_ai.prompt."  # <i>.role / .content / .tool_calls.<j>.*
    COMPLETION_PREFIX: Final = "gen_ai.completion."
    FUNCTIONS_PREFIX: Final = "llm.request.functions."  # <i>.name / .description / .parameters


class MLflowAttributes:
    """MLflow Tracing's span attributes (``mlflow.tracing.constant.SpanAttributeKey``)."""

    SPAN_TYPE: Final = "mlflow.spanType"  # JSON-encoded string
    SPAN_INPUTS: Final = "mlflow.spanInputs"  # JSON
    SPAN_OUTPUTS: Final = "mlflow.spanOutputs"
    TRACE_REQUEST_ID: Final = "mlflow.traceRequestId"
    FUNCTION_NAME: Final = "mlflow.spanFunctionName"
    # The root span's intermediate outputs (mlflow.log_trace(intermediate_outputs=...)).
    INTERMEDIATE_OUTPUTS: Final = "mlflow.trace.intermediate_outputs"
    CHAT_USAGE: Final = "mlflow.chat.tokenUsage"  # {"input_tokens", "output_tokens", ...}
    CHAT_TOOLS: Final = "mlflow.chat.tools"
    MODEL: Final = "mlflow.llm.model"
    MODEL_PROVIDER: Final = "mlflow.llm.provider"
    MESSAGE_FORMAT: Final = "mlflow.message.format"
    TRACE_TAG_PREFIX: Final = "mlflow.traceTag."
    # Trace tag / metadata keys MLflow gives meaning to.
    TRACE_NAME: Final = "mlflow.traceName"
    TRACE_USER: Final = "mlflow.trace.user"
    TRACE_SESSION: Final = "mlflow.trace.session"
    # The keys of CHAT_USAGE's JSON object.
    USAGE_INPUT: Final = "input_tokens"
    USAGE_OUTPUT: Final = "output_tokens"
    USAGE_TOTAL: Final = "total_tokens"
    USAGE_CACHE_READ: Final = "cache_read_input_tokens"
