"""The layer shared by Stainless-generated SDKs (OpenAI, Anthropic, Groq).

They share a shape: resource classes whose methods take keyword arguments and return
the SDK's pydantic models, ``Stream``/``AsyncStream`` objects for ``stream=True``, and
``with_raw_response`` wrappers whose ``parse()`` gives either. So they share one
:class:`StainlessOperation`: the span's name and start attributes, the provider
attributes from the client's base URL (cached per URL object), raw-response handling,
and the choice between a response and a stream. A library subclasses it with its
extractors and stream handler; the Chat Completions format (OpenAI, Groq) is one
subclass here, :class:`ChatCompletionsOperation`, a library naming only its provider
and its stream handler. Mistral's Speakeasy-generated SDK has the same shape where
it counts (keyword arguments in; a pydantic model, or an event stream from its own
stream methods, out) and stands on it too, naming its provider its own way.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from spanwise.common._safety import report_internal_error
from spanwise.model._chat_format import (
    input_messages_payload,
    output_messages_payload,
    tool_definitions,
)
from spanwise.semconv import GenAIAttributes, ServerAttributes, SpanwiseAttributes

from ._chat_completions import chat_request_attributes, chat_response_attributes
from ._chat_stream import ChatStreamHandler
from ._extract import get
from ._invocation import CHAT, Kind, Settings
from ._llm import LLMCall
from ._stream import AsyncStreamProxy, RawResponseProxy, StreamHandler, SyncStreamProxy

__all__ = [
    "ChatCompletionsOperation",
    "ProviderCache",
    "StainlessOperation",
    "is_raw",
    "parsed",
    "sdk_models",
    "server_attributes",
]


def server_attributes(base_url: object) -> tuple[str, dict[str, Any]]:
    """The host (lower case) and ``server.address``/``server.port`` of a base URL."""
    parts = urlsplit(str(base_url or ""))
    host = (parts.hostname or "").lower()
    attrs: dict[str, Any] = {}
    if host:
        attrs[ServerAttributes.ADDRESS] = host
        port = parts.port or (
            443 if parts.scheme == "https" else 80 if parts.scheme == "http" else None
        )
        if port is not None:
            attrs[ServerAttributes.PORT] = port
    return host, attrs


class ProviderCache:
    """The client's base URL -> its provider attributes, through a library's naming rule.

    Keyed by the URL object's identity, holding the URL so the id cannot be reused; a
    client whose ``base_url`` is reassigned gets a new entry. Bounded.
    """

    __slots__ = ("_entries", "_name")
    _MAX = 64

    def __init__(self, name: Callable[[str, str], str]) -> None:
        """``name(host, path)`` gives ``gen_ai.provider.name``."""
        self._name = name
        self._entries: dict[int, tuple[object, dict[str, Any]]] = {}

    def attributes(self, base_url: object) -> dict[str, Any]:
        cached = self._entries.get(id(base_url))
        if cached is not None and cached[0] is base_url:
            return cached[1]
        host, attrs = server_attributes(base_url)
        path = urlsplit(str(base_url or "")).path
        attrs = {GenAIAttributes.PROVIDER_NAME: self._name(host, path), **attrs}
        if len(self._entries) >= self._MAX:
            self._entries.clear()
        self._entries[id(base_url)] = (base_url, attrs)
        return attrs

    def for_resource(self, resource: Any) -> dict[str, Any]:
        """The provider attributes of a resource (``client.chat.completions``...)."""
        client = getattr(resource, "_client", None)
        # The stored URL: the public base_url property costs more than the lookup it feeds.
        url = getattr(client, "_base_url", None) or getattr(client, "base_url", None)
        return self.attributes(url)


def sdk_models(package: str) -> tuple[type, ...]:
    """The SDK's response model base class (``<package>.BaseModel``), for raw detection."""
    import importlib

    try:
        return (importlib.import_module(package).BaseModel,)
    except (ImportError, AttributeError):  # pragma: no cover - the instrumentor needs it
        return ()


def is_raw(result: Any, models: tuple[type, ...]) -> bool:
    """A ``with_raw_response`` wrapper (it carries the HTTP response)?"""
    # An SDK model answers hasattr() through pydantic's __getattr__, which raises: slow.
    return not isinstance(result, models) and hasattr(result, "http_response")


def parsed(result: Any, models: tuple[type, ...]) -> Any:
    """The response object, also behind ``with_raw_response`` (whose parse() caches)."""
    if is_raw(result, models) and callable(getattr(result, "parse", None)):
        return result.parse()
    return result


class StainlessOperation:
    """How one kind of call of a Stainless SDK becomes a span.

    Subclasses set ``kind``, ``providers`` and ``models`` and implement the extractors.
    """

    kind: Kind
    providers: ProviderCache
    models: tuple[type, ...] = ()  # the SDK's response model base classes
    site: str = "stainless"  # where internal errors are reported from

    def request_attributes(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def request_content(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """Content attributes of the request (only asked for when capture is on)."""
        return {}

    def response(self, call: LLMCall, response: Any) -> None:
        raise NotImplementedError

    def stream_handler(self, call: LLMCall) -> StreamHandler | None:
        return None

    def provider_attributes(self, instance: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
        """``gen_ai.provider.name`` and ``server.*`` of the call (an SDK whose resources
        keep their base URL elsewhere, or take one per call, says so here)."""
        return self.providers.for_resource(instance)

    def streams(self, kwargs: dict[str, Any]) -> bool:
        """Whether the call returns a stream."""
        return kwargs.get("stream") is True

    def start(
        self, settings: Settings, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> LLMCall | None:
        try:
            attrs = self.request_attributes(kwargs)
            attrs.update(self.provider_attributes(instance, kwargs))
            attrs[SpanwiseAttributes.SPAN_TYPE] = self.kind.span_type
            model = kwargs.get("model")
            return LLMCall.start_call(
                settings,
                self.kind.span_name(model),
                attrs,
                lambda: self.request_content(kwargs),
            )
        except Exception as exc:
            report_internal_error(f"{self.site} request", exc)
            return None

    async def finish_async(self, run: LLMCall, result: Any, kwargs: dict[str, Any]) -> Any:
        """An async call's result. Behind an async ``with_raw_response`` (or streaming
        response) ``parse()`` is a coroutine: awaited here (the SDK keeps what it parsed,
        so the caller's own ``parse()`` gets the same object)."""
        if self.streams(kwargs) or not is_raw(result, self.models):
            return self.finish(run, result, kwargs, is_async=True)
        try:
            response = result.parse()
            if inspect.isawaitable(response):
                response = await response
            self.response(run, response)
        except Exception as exc:
            report_internal_error(f"{self.site} response", exc)
        run.succeed()
        return result

    def finish(self, run: LLMCall, result: Any, kwargs: dict[str, Any], *, is_async: bool) -> Any:
        """The caller's result: the SDK's own object, or its stream behind a proxy."""
        try:
            handler = self.stream_handler(run) if self.streams(kwargs) else None
            if handler is not None:
                proxy = AsyncStreamProxy if is_async else SyncStreamProxy
                if is_raw(result, self.models):  # with_raw_response: parse() streams

                    def wrap(stream: Any) -> Any:
                        return proxy(stream, handler)

                    return RawResponseProxy(result, wrap, handler)
                return proxy(result, handler)
            self.response(run, parsed(result, self.models))
        except Exception as exc:
            report_internal_error(f"{self.site} response", exc)
        run.succeed()
        return result


class ChatCompletionsOperation(StainlessOperation):
    """``chat.completions.create`` of an SDK speaking the Chat Completions format.

    Subclasses set ``providers``, ``models`` and ``site``; ``stream_handler_class`` is a
    :class:`ChatStreamHandler` subclass where the provider's chunks carry more."""

    kind = CHAT
    stream_handler_class: type[ChatStreamHandler] = ChatStreamHandler

    def request_attributes(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        return chat_request_attributes(kwargs)

    def request_content(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        return {
            GenAIAttributes.INPUT_MESSAGES: input_messages_payload(kwargs.get("messages")),
            GenAIAttributes.TOOL_DEFINITIONS: tool_definitions(kwargs.get("tools")),
        }

    def response(self, call: LLMCall, response: Any) -> None:
        call.record(
            chat_response_attributes(response),
            {GenAIAttributes.OUTPUT_MESSAGES: output_messages_payload(get(response, "choices"))}
            if call.capture
            else None,
        )

    def stream_handler(self, call: LLMCall) -> StreamHandler:
        return self.stream_handler_class(call)
