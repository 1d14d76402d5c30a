"""LiteLLM's provider names in the GenAI conventions' words.

LiteLLM routes by ``provider/model`` names, and so do the frameworks that call models through
it or name them its way (DSPy's ``dspy.LM``, CrewAI's ``LLM``): one table for all of them.
"""

from __future__ import annotations

from spanwise.semconv import ProviderName

__all__ = ["provider_name"]

# LiteLLM's provider names (``litellm.LlmProviders``) -> ``gen_ai.provider.name``. Any
# other provider is recorded as LiteLLM names it (the conventions allow other values).
_PROVIDER_NAMES: dict[str, str] = {
    "openai": ProviderName.OPENAI,
    "text-completion-openai": ProviderName.OPENAI,
    "azure": ProviderName.AZURE_AI_OPENAI,
    "azure_text": ProviderName.AZURE_AI_OPENAI,
    "azure_ai": ProviderName.AZURE_AI_INFERENCE,
    "anthropic": ProviderName.ANTHROPIC,
    "anthropic_text": ProviderName.ANTHROPIC,
    "bedrock": ProviderName.AWS_BEDROCK,
    "bedrock_converse": ProviderName.AWS_BEDROCK,
    "vertex_ai": ProviderName.GCP_VERTEX_AI,
    "vertex_ai_beta": ProviderName.GCP_VERTEX_AI,
    "gemini": ProviderName.GCP_GEMINI,
    "cohere": ProviderName.COHERE,
    "cohere_chat": ProviderName.COHERE,
    "deepseek": ProviderName.DEEPSEEK,
    "groq": ProviderName.GROQ,
    "mistral": ProviderName.MISTRAL_AI,
    "codestral": ProviderName.MISTRAL_AI,
    "text-completion-codestral": ProviderName.MISTRAL_AI,
    "perplexity": ProviderName.PERPLEXITY,
    "xai": ProviderName.X_AI,
    "watsonx": ProviderName.IBM_WATSONX_AI,
    "watsonx_text": ProviderName.IBM_WATSONX_AI,
    "databricks": ProviderName.DATABRICKS,
}


def provider_name(litellm_provider: str) -> str:
    """``gen_ai.provider.name`` of a LiteLLM provider name (any other passes through)."""
    return _PROVIDER_NAMES.get(litellm_provider, litellm_provider)
