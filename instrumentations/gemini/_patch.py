"""The google-genai SDK's operations: how each kind of call becomes a span.

Every model call of the SDK goes through ``Models`` / ``AsyncModels`` (``client.models``
and ``client.aio.models``): ``generate_content`` returns a ``GenerateContentResponse``,
``generate_content_stream`` a generator of them (the async twin: a coroutine giving an
async generator), ``embed_content`` an ``EmbedContentResponse``. Chats
(``client.chats.create(...).send_message`` and its stream) call these methods, so a chat
turn is one span of them. Keyword arguments in, pydantic models or a stream out: the
shape the shared SDK layer (``_stainless``) serves; the provider is ``gcp.vertex_ai`` for
a client on Vertex AI, ``gcp.gemini`` otherwise, the server the client's base URL.
"""

from __future__ import annotations

from typing import Any

from spanwise.semconv import GenAIAttributes, ProviderName

from .._invocation import EMBEDDINGS as EMBEDDINGS_KIND
from .._invocation import GENERATE_CONTENT as GENERATE_KIND
from .._llm import LLMCall, Settings
from .._stainless import ProviderCache, StainlessOperation, sdk_models
from .._stream import StreamHandler
from . import _extract as x
from . import _payload as payload
from ._stream import GenerateStreamHandler

__all__ = ["EMBED", "GENERATE", "GENERATE_STREAM"]

_GEMINI = ProviderCache(lambda host, path: ProviderName.GCP_GEMINI)
_VERTEX = ProviderCache(lambda host, path: ProviderName.GCP_VERTEX_AI)


class _GeminiOperation(StainlessOperation):
    providers = _GEMINI
    site = "gemini"

    def __init__(self) -> None:
        self.models = sdk_models("google.genai._common")

    def provider_attributes(self, instance: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
        client = getattr(instance, "_api_client", None)
        # google-genai 1.0 keeps its HTTP options as a dict, later versions as a model.
        url = x.field(getattr(client, "_http_options", None), "base_url")
        cache = _VERTEX if getattr(client, "vertexai", False) else _GEMINI
        return cache.attributes(url)

    def start(
        self, settings: Settings, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> LLMCall | None:
        model = kwargs.get("model")
        name = x.model_name(model)
        if name != model:  # "models/gemini-2.5-flash": the span names the model itself
            kwargs = {**kwargs, "model": name}
        return super().start(settings, instance, args, kwargs)

    def streams(self, kwargs: dict[str, Any]) -> bool:
        return False


class _Generate(_GeminiOperation):
    """``models.generate_content``: one response."""

    kind = GENERATE_KIND

    def request_attributes(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        attrs = self.kind.attributes(kwargs.get("model"))
        attrs.update(x.request_attributes(kwargs, stream=self.streams(kwargs)))
        return attrs

    def request_content(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        config = kwargs.get("config")
        return {
            GenAIAttributes.INPUT_MESSAGES: payload.input_messages_payload(kwargs.get("contents")),
            GenAIAttributes.SYSTEM_INSTRUCTIONS: x.system_instructions(config),
            GenAIAttributes.TOOL_DEFINITIONS: x.tool_definitions(config),
        }

    def response(self, call: LLMCall, response: Any) -> None:
        call.record(
            x.response_attributes(response),
            {
                GenAIAttributes.OUTPUT_MESSAGES: payload.output_messages_payload(
                    x.field(response, "candidates")
                )
            }
            if call.capture
            else None,
        )


class _GenerateStream(_Generate):
    """``models.generate_content_stream``: a generator, behind a proxy that ends the span."""

    def streams(self, kwargs: dict[str, Any]) -> bool:
        return True

    def stream_handler(self, call: LLMCall) -> StreamHandler:
        return GenerateStreamHandler(call, self.models)


class _Embed(_GeminiOperation):
    """``models.embed_content``."""

    kind = EMBEDDINGS_KIND

    def request_attributes(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        attrs = self.kind.attributes(kwargs.get("model"))
        attrs.update(x.embeddings_request_attributes(kwargs))
        return attrs

    def response(self, call: LLMCall, response: Any) -> None:
        call.record(x.embeddings_response_attributes(response))


GENERATE = _Generate()
GENERATE_STREAM = _GenerateStream()
EMBED = _Embed()
