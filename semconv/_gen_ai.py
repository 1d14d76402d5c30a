"""GenAI semantic-convention names, release v1.41.0 (the last published GenAI release).

Source of truth: ``shared/semconv-genai/model/registry.yaml``; tests/semconv checks every
name here against it.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "SCHEMA_URL",
    "GenAIAttributes",
    "GenAIMetrics",
    "OperationName",
    "ProviderName",
]

SCHEMA_URL: Final = "https://opentelemetry.io/schemas/1.41.0"


class GenAIAttributes:
    """``gen_ai.*`` attribute keys."""

    OPERATION_NAME: Final = "gen_ai.operation.name"
    PROVIDER_NAME: Final = "gen_ai.provider.name"
    CONVERSATION_ID: Final = "gen_ai.conversation.id"
    OUTPUT_TYPE: Final = "gen_ai.output.type"

    REQUEST_MODEL: Final = "gen_ai.request.model"
    REQUEST_MAX_TOKENS: Final = "gen_ai.request.max_tokens"
    REQUEST_CHOICE_COUNT: Final = "gen_ai.request.choice.count"
    REQUEST_TEMPERATURE: Final = "gen_ai.request.temperature"
    REQUEST_TOP_P: Final = "gen_ai.request.top_p"
    REQUEST_TOP_K: Final = "gen_ai.request.top_k"
    REQUEST_STOP_SEQUENCES: Final = "gen_ai.request.stop_sequences"
    REQUEST_FREQUENCY_PENALTY: Final = "gen_ai.request.frequency_penalty"
    REQUEST_PRESENCE_PENALTY: Final = "gen_ai.request.presence_penalty"
    REQUEST_ENCODING_FORMATS: Final = "gen_ai.request.encoding_formats"
    REQUEST_SEED: Final = "gen_ai.request.seed"
    REQUEST_STREAM: Final = "gen_ai.request.stream"

    RESPONSE_ID: Final = "gen_ai.response.id"
    RESPONSE_MODEL: Final = "gen_ai.response.model"
    RESPONSE_FINISH_REASONS: Final = "gen_ai.response.finish_reasons"
    RESPONSE_TIME_TO_FIRST_CHUNK: Final = "gen_ai.response.time_to_first_chunk"

    USAGE_INPUT_TOKENS: Final = "gen_ai.usage.input_tokens"
    USAGE_OUTPUT_TOKENS: Final = "gen_ai.usage.output_tokens"
    USAGE_CACHE_READ_INPUT_TOKENS: Final = "gen_ai.usage.cache_read.input_tokens"
    USAGE_CACHE_CREATION_INPUT_TOKENS: Final = "gen_ai.usage.cache_creation.input_tokens"
    USAGE_REASONING_OUTPUT_TOKENS: Final = "gen_ai.usage.reasoning.output_tokens"
    TOKEN_TYPE: Final = "gen_ai.token.type"

    AGENT_ID: Final = "gen_ai.agent.id"
    AGENT_NAME: Final = "gen_ai.agent.name"
    AGENT_DESCRIPTION: Final = "gen_ai.agent.description"
    AGENT_VERSION: Final = "gen_ai.agent.version"
    WORKFLOW_NAME: Final = "gen_ai.workflow.name"

    TOOL_NAME: Final = "gen_ai.tool.name"
    TOOL_CALL_ID: Final = "gen_ai.tool.call.id"
    TOOL_DESCRIPTION: Final = "gen_ai.tool.description"
    TOOL_TYPE: Final = "gen_ai.tool.type"
    TOOL_CALL_ARGUMENTS: Final = "gen_ai.tool.call.arguments"
    TOOL_CALL_RESULT: Final = "gen_ai.tool.call.result"
    TOOL_DEFINITIONS: Final = "gen_ai.tool.definitions"

    DATA_SOURCE_ID: Final = "gen_ai.data_source.id"
    EMBEDDINGS_DIMENSION_COUNT: Final = "gen_ai.embeddings.dimension.count"
    RETRIEVAL_DOCUMENTS: Final = "gen_ai.retrieval.documents"
    RETRIEVAL_QUERY_TEXT: Final = "gen_ai.retrieval.query.text"

    SYSTEM_INSTRUCTIONS: Final = "gen_ai.system_instructions"
    INPUT_MESSAGES: Final = "gen_ai.input.messages"
    OUTPUT_MESSAGES: Final = "gen_ai.output.messages"


class GenAIMetrics:
    """Metric names and the advised histogram buckets (v1.41.0)."""

    CLIENT_OPERATION_DURATION: Final = "gen_ai.client.operation.duration"
    CLIENT_TOKEN_USAGE: Final = "gen_ai.client.token.usage"
    DURATION_BUCKETS: Final = (
        0.01,
        0.02,
        0.04,
        0.08,
        0.16,
        0.32,
        0.64,
        1.28,
        2.56,
        5.12,
        10.24,
        20.48,
        40.96,
        81.92,
    )
    TOKEN_BUCKETS: Final = (
        1,
        4,
        16,
        64,
        256,
        1024,
        4096,
        16384,
        65536,
        262144,
        1048576,
        4194304,
        16777216,
        67108864,
    )
    TOKEN_TYPE_INPUT: Final = "input"
    TOKEN_TYPE_OUTPUT: Final = "output"


class OperationName:
    """Well-known values of ``gen_ai.operation.name``."""

    CHAT: Final = "chat"
    GENERATE_CONTENT: Final = "generate_content"
    TEXT_COMPLETION: Final = "text_completion"
    EMBEDDINGS: Final = "embeddings"
    RETRIEVAL: Final = "retrieval"
    CREATE_AGENT: Final = "create_agent"
    INVOKE_AGENT: Final = "invoke_agent"
    EXECUTE_TOOL: Final = "execute_tool"
    INVOKE_WORKFLOW: Final = "invoke_workflow"


class ProviderName:
    """Well-known values of ``gen_ai.provider.name`` (plus ``databricks``, not yet listed)."""

    OPENAI: Final = "openai"
    AZURE_AI_OPENAI: Final = "azure.ai.openai"
    AZURE_AI_INFERENCE: Final = "azure.ai.inference"
    ANTHROPIC: Final = "anthropic"
    AWS_BEDROCK: Final = "aws.bedrock"
    GCP_GEN_AI: Final = "gcp.gen_ai"
    GCP_VERTEX_AI: Final = "gcp.vertex_ai"
    GCP_GEMINI: Final = "gcp.gemini"
    COHERE: Final = "cohere"
    DEEPSEEK: Final = "deepseek"
    GROQ: Final = "groq"
    MISTRAL_AI: Final = "mistral_ai"
    PERPLEXITY: Final = "perplexity"
    X_AI: Final = "x_ai"
    IBM_WATSONX_AI: Final = "ibm.watsonx.ai"
    # Not in the registry's enum; the convention allows other values for unlisted providers.
    DATABRICKS: Final = "databricks"
