"""LiteLLM instrumentation for spanwise: every ``litellm.completion`` and ``litellm.embedding``
call as a GenAI-conventions span naming the provider LiteLLM routed it to.

Usage
-----
With spanwise (records prompts and completions, as MLflow's autolog does)::

    import spanwise
    spanwise.litellm.autolog()           # autolog(disable=True) removes the patches,
                                         # autolog(log_traces=False) keeps them, records nothing

As a plain OpenTelemetry instrumentor (metadata only unless the environment says so)::

    from spanwise.instrumentations.litellm import LiteLLMInstrumentor
    LiteLLMInstrumentor().instrument(tracer_provider=provider)
    LiteLLMInstrumentor().uninstrument()

Zero-code: ``opentelemetry-instrument python app.py`` finds it through the
``spanwise_litellm`` entry point; ``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS=spanwise_litellm``
turns it off.

LiteLLM fetches its model cost map from GitHub when it is imported (which instrumenting
does) unless ``LITELLM_LOCAL_MODEL_COST_MAP=True``: set it where the network is closed or
slow, as spanwise's tests do.

What is traced
--------------
``litellm.completion`` / ``acompletion`` (plain and ``stream=True``) and
``litellm.embedding`` / ``aembedding``, called as ``litellm.<function>`` (a
``litellm.Router`` calls them so too; a name imported with ``from litellm import
completion`` before instrumenting keeps the unpatched function), litellm 1.60 and later.
Spans are named ``"chat {model}"`` / ``"embeddings {model}"``, kind CLIENT, where the model
is ``gen_ai.request.model``: the model as asked without LiteLLM's provider prefix
(``openai/gpt-4o-mini`` -> ``gpt-4o-mini``; ``bedrock/anthropic.claude-v2`` ->
``anthropic.claude-v2``); ``gen_ai.response.model`` is what the provider answered.

``gen_ai.provider.name`` is the provider LiteLLM routes to, in the conventions' names:
``openai``, ``azure.ai.openai`` (``azure``), ``azure.ai.inference`` (``azure_ai``),
``anthropic``, ``aws.bedrock``, ``gcp.vertex_ai``, ``gcp.gemini``, ``mistral_ai``
(``mistral``, ``codestral``), ``groq``, ``cohere``, ``deepseek``, ``perplexity``,
``x_ai``, ``ibm.watsonx.ai``, ``databricks``; any other as LiteLLM names it
(``openrouter``, ``ollama``...). It comes from the model's prefix or
``custom_llm_provider=``, else from where LiteLLM says it sent the call (the response's
``_hidden_params``, the exception's ``llm_provider``). ``server.address``/``port`` come
from ``api_base`` (or ``base_url``), else from the endpoint LiteLLM reports.

Also recorded: the request parameters (max_tokens / max_completion_tokens, temperature,
top_p, presence/frequency penalties, seed, stop, n, response_format as
``gen_ai.output.type``, ``gen_ai.request.stream``; encoding format and dimensions on
embeddings), the response id/model/finish reasons, token usage (cached input and
reasoning tokens too; a stream's when it carries usage, as with
``stream_options={"include_usage": True}``), time to first chunk, the embedding
dimension, and, when content capture is on, ``gen_ai.input.messages``,
``gen_ai.output.messages`` and ``gen_ai.tool.definitions`` in the conventions' parts
format: tool calls as tool_call parts (streamed ones assembled from their deltas),
``tool`` messages as tool_call_response parts.

The caller always gets LiteLLM's own objects (a stream is wrapped in a proxy that is an
instance of ``CustomStreamWrapper``, sync and async). A stream's span ends once: on
exhaustion, on error, on ``close()``/``aclose()``, on leaving its ``with`` block, or when
the abandoned stream is garbage-collected, with what was received so far. LiteLLM's
errors (``litellm.RateLimitError``, ``AuthenticationError``, ``APIConnectionError``...)
are recorded (``error.type``, status ERROR, an ``exception`` event) and re-raised
unchanged. No API key (``api_key=``, provider keys in the environment) or header ever
enters a span.

One model span per call: while a LiteLLM call is recorded, the SDK LiteLLM calls for it
(the OpenAI SDK for ``openai/...`` and OpenAI-compatible providers) records nothing of
its own, also with ``spanwise.openai.autolog()`` on. LiteLLM's own OpenTelemetry logger
(``litellm.callbacks = ["otel"]``, and the loggers built on it: ``arize``,
``arize_phoenix``, ``langfuse_otel``...) logs nothing while spanwise records LiteLLM's
calls: it would write its attributes onto spanwise's span and add a
``raw_gen_ai_request`` child with the raw request and response (whatever the content
setting says), or start a second span of a streamed call. ``autolog(disable=True)`` or
``log_traces=False`` gives it back. LiteLLM's other callbacks (Langfuse, Datadog, custom
loggers...) are not spans and are left alone; none is on unless configured.

Environment variables
---------------------
``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT``
    ``true``/``false`` (or ``SPAN_ONLY``/``NO_CONTENT``...): records prompts and
    completions or not, whatever the code asked. Default: on under ``autolog()``, off
    for ``instrument()`` and zero-code.
``SPANWISE_MAX_CONTENT_BYTES``
    Bound of each content attribute (default 131072); larger values are cut to valid JSON.
``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS``
    ``spanwise_litellm`` disables this instrumentor under ``opentelemetry-instrument``.
``LITELLM_LOCAL_MODEL_COST_MAP``
    LiteLLM's: ``True`` keeps its import (and so instrumenting) from fetching the model
    cost map over the network.
"""

from __future__ import annotations

from typing import Any

from wrapt import wrap_function_wrapper  # pyright: ignore[reportMissingTypeStubs, reportUnknownVariableType]

from .._base import SpanwiseInstrumentor
from .._invocation import Settings
from .._wrappers import Operation, Wrapper, async_wrapper, resolve, sync_wrapper
from ._patch import CHAT, EMBEDDINGS, NATIVE_LOGGER, native_logger_wrapper
from .package import _instruments

__all__ = ["LiteLLMInstrumentor"]

# LiteLLM's functions, patched where callers find them: ``litellm.<name>`` (also what a
# Router calls). ``acompletion`` runs ``completion`` in a thread with a copy of the
# context: that inner call is not patched (and would pass through if it were).
_FUNCTIONS: tuple[tuple[str, Operation, bool], ...] = (
    ("completion", CHAT, False),
    ("acompletion", CHAT, True),
    ("embedding", EMBEDDINGS, False),
    ("aembedding", EMBEDDINGS, True),
)


def _wrapper(settings: Settings, operation: Operation, is_async: bool) -> Wrapper:
    return async_wrapper(settings, operation) if is_async else sync_wrapper(settings, operation)


class LiteLLMInstrumentor(SpanwiseInstrumentor):
    """OpenTelemetry instrumentor for LiteLLM (GenAI conventions v1.41.0)."""

    _instruments = _instruments

    def _patch(self, settings: Settings) -> None:
        import litellm

        for name, operation, is_async in _FUNCTIONS:
            if callable(getattr(litellm, name, None)):
                wrap_function_wrapper(litellm, name, _wrapper(settings, operation, is_async))
        module, cls, methods = NATIVE_LOGGER
        for method in methods:
            if resolve(module, cls, method) is not None:
                wrap_function_wrapper(module, f"{cls}.{method}", native_logger_wrapper(settings))

    def _unpatch(self) -> None:
        from opentelemetry.instrumentation.utils import unwrap

        module: Any = _litellm()
        if module is None:
            return
        for name, _, _ in _FUNCTIONS:
            unwrap(module, name)
        logger_module, cls, methods = NATIVE_LOGGER
        for method in methods:
            owner = resolve(logger_module, cls, method)
            if owner is not None:
                unwrap(owner, method)


def _litellm() -> Any | None:
    import sys

    return sys.modules.get("litellm")
