"""Amazon Bedrock instrumentation for spanwise: every model call of a boto3
``bedrock-runtime`` client as a GenAI-conventions span.

Usage
-----
With spanwise (records prompts and completions, as MLflow's autolog does)::

    import boto3, spanwise
    spanwise.bedrock.autolog()           # autolog(disable=True) removes the patch,
                                         # autolog(log_traces=False) keeps it, records nothing
    client = boto3.client("bedrock-runtime", region_name="us-east-1")

As a plain OpenTelemetry instrumentor (metadata only unless the environment says so)::

    from spanwise.instrumentations.bedrock import BedrockInstrumentor
    BedrockInstrumentor().instrument(tracer_provider=provider)
    BedrockInstrumentor().uninstrument()

Zero-code: ``opentelemetry-instrument python app.py`` finds it through the
``spanwise_bedrock`` entry point; ``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS=spanwise_bedrock``
turns it off.

What is traced
--------------
``converse``, ``converse_stream``, ``invoke_model`` and
``invoke_model_with_response_stream`` of every ``bedrock-runtime`` client, clients
created before ``instrument()`` included (the patch is on botocore's ``BaseClient``;
other AWS services' calls pass straight through). boto3 1.34.116 and later (the first
with Converse). Spans are named ``"{operation} {modelId}"``, kind CLIENT:

* ``chat`` for Converse and for the messages-style bodies of ``invoke_model``
  (Anthropic's Messages API, Amazon Nova, Mistral's and AI21's chat models, Cohere
  command-r); ``text_completion`` for prompt-style bodies (Titan text, Meta Llama,
  Mistral's text models, Cohere command, AI21 Jurassic, Anthropic's legacy text
  completions); ``embeddings`` for Titan and Cohere embed models. The family comes from
  the model id (a cross-region profile such as ``us.anthropic...`` or an ARN too);
  another model (an imported model, an image generator) is a span with the token
  counts Bedrock reports in its headers.
* ``gen_ai.provider.name`` ``aws.bedrock``; ``server.address``/``port`` from the client's
  endpoint (the region's, or ``endpoint_url``).
* Request parameters: Converse's ``inferenceConfig`` (maxTokens, temperature, topP,
  stopSequences; top_k through ``additionalModelRequestFields``) and each body's own
  (``max_tokens``, ``max_gen_len``, ``textGenerationConfig``, Nova's ``inferenceConfig``,
  ``p``/``k``...); ``gen_ai.request.stream`` on the streaming operations.
* Response: id and model where the body has them, finish reasons as the model said
  them, usage (input tokens count cache reads and writes, which are also given apart),
  time to first chunk on streams, the embedding dimension.
* With content capture: ``gen_ai.input.messages``, ``gen_ai.system_instructions``,
  ``gen_ai.output.messages`` and ``gen_ai.tool.definitions`` in the parts format:
  ``toolUse`` blocks as tool_call parts, ``toolResult`` blocks as tool_call_response
  parts (in a ``tool`` message), ``reasoningContent`` as reasoning, images and documents
  as blobs (bytes) or uris (S3).

The caller gets boto3's own response dict. An ``invoke_model`` body is read to record
the response and replaced by a ``StreamingBody`` over the same bytes. The event streams
(``converse_stream``'s ``stream``, ``invoke_model_with_response_stream``'s ``body``) stand
behind a proxy whose span ends once: when the stream is exhausted, fails (an error
event), is closed, or is abandoned and garbage-collected, with what arrived. botocore's
``ClientError`` (``ThrottlingException``, ``ValidationException``, ...) is recorded with
``error.type`` the AWS error code, status ERROR and an ``exception`` event, and re-raised
unchanged. No AWS credential, signature or header ever enters a span.

Environment variables
---------------------
``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT``
    ``true``/``false`` (or ``SPAN_ONLY``/``NO_CONTENT``...): records prompts and
    completions or not, whatever the code asked. Default: on under ``autolog()``, off
    for ``instrument()`` and zero-code.
``SPANWISE_MAX_CONTENT_BYTES``
    Bound of each content attribute (default 131072); larger values (an image) are cut
    to valid JSON.
``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS``
    ``spanwise_bedrock`` disables this instrumentor under ``opentelemetry-instrument``.
"""

from __future__ import annotations

from .._base import SpanwiseInstrumentor
from .._wrappers import Target
from ._patch import API_CALL
from .package import _instruments

__all__ = ["BedrockInstrumentor"]

# Every API call of every boto3 client goes through this one method (see _patch).
_TARGETS = (Target("botocore.client", "BaseClient", None, "_make_api_call", API_CALL),)


class BedrockInstrumentor(SpanwiseInstrumentor):
    """OpenTelemetry instrumentor for boto3's Bedrock Runtime (GenAI conventions v1.41.0)."""

    _instruments = _instruments
    _targets = _TARGETS
