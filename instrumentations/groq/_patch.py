"""The Groq SDK's operation: Chat Completions on the shared Stainless layer.

Groq's SDK is Stainless-generated and its chat API is the Chat Completions format, so the
operation is the core's :class:`ChatCompletionsOperation`; what is Groq's own is its
provider name (every base URL: the SDK speaks only Groq's protocol; ``server.address``
names a proxy or a local endpoint) and the usage of a stream, which Groq sends in the
final chunk's ``x_groq`` extension rather than in ``usage``.
"""

from __future__ import annotations

from typing import Any, cast

from spanwise.semconv import ProviderName

from .._chat_stream import ChatStreamHandler
from .._extract import get
from .._stainless import ChatCompletionsOperation, ProviderCache, sdk_models

__all__ = ["CHAT", "GroqStreamHandler"]


def _provider_name(host: str, path: str) -> str:
    return ProviderName.GROQ


class GroqStreamHandler(ChatStreamHandler):
    """Chat chunks, plus the usage in ``x_groq`` (final chunk; the first carries only an
    id). Both pass through the general path: they open the stream or carry a finish
    reason, so plain text deltas stay on the fast one."""

    def _general(self, chunk: Any) -> None:
        super()._general(chunk)
        extension: Any = (
            cast("dict[str, Any]", chunk).get("x_groq")
            if type(chunk) is dict
            else getattr(chunk, "x_groq", None)
        )
        if extension is not None and self._usage is None:
            self._usage = get(extension, "usage")


class _Chat(ChatCompletionsOperation):
    providers = ProviderCache(_provider_name)
    models = sdk_models("groq")
    site = "groq"
    stream_handler_class = GroqStreamHandler


CHAT = _Chat()
