"""What the instrumentor contract tests need to know of each provider library.

tests/instrumentations/test_contract.py runs one set of tests (the autolog switches,
the content policy, the tracer provider, suppression, nesting, the secret canary,
never-break, metrics) over every case here: a provider is its fake server, a client, a
plain call, a streamed call and a failing call. A new provider instrumentor adds a case
rather than another copy of those tests.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import pytest

__all__ = ["CASES", "MESSAGES", "Case"]

MESSAGES = [{"role": "user", "content": "secret prompt"}]


@dataclass(frozen=True)
class Case:
    """One provider library under the contract."""

    name: str  # the registry's name: spanwise.<name>.autolog()
    sdk: str  # the module to import (skip the case without it)
    server: Callable[[], Any]  # a started fake server: .base_url, .requests, .stop()
    client: Callable[[Any, str], Any]  # (server, api key) -> sync client
    call: Callable[[Any], Any]  # one plain model call
    stream: Callable[[Any], Any]  # one streamed call, consumed
    fail: Callable[[Any], Any]  # a call the server answers with HTTP 500
    error: Callable[[], type[BaseException]]  # what ``fail`` raises
    provider: str  # gen_ai.provider.name
    error_type: str  # error.type of ``fail``
    tokens: tuple[int, int]  # (input, output) usage of ``call``
    canary: Callable[[], str]  # the API key the fake expects, to plant and look for
    bind: Callable[[Any], Callable[[], Any]]  # the client's model method, bound now

    def load(self) -> Any:
        return pytest.importorskip(self.sdk)


def _openai_chat(model: str) -> Callable[..., Any]:
    def call(client: Any, **kwargs: Any) -> Any:
        return client.chat.completions.create(model=model, messages=MESSAGES, **kwargs)

    return call


def _consume(call: Callable[..., Any], **kwargs: Any) -> Callable[[Any], Any]:
    return lambda client: list(call(client, stream=True, **kwargs))


def _fake(module: str, cls: str) -> Callable[[], Any]:
    return lambda: getattr(importlib.import_module(module), cls)().start()


def _key(module: str) -> Callable[[], str]:
    return lambda: str(importlib.import_module(module).CANARY_KEY)


def _openai_client(server: Any, key: str) -> Any:
    import openai

    return openai.OpenAI(base_url=server.base_url, api_key=key, max_retries=0)


def _groq_client(server: Any, key: str) -> Any:
    import groq

    # The SDK adds Groq's /openai/v1 paths to the server's root itself.
    return groq.Groq(base_url=f"http://127.0.0.1:{server.port}", api_key=key, max_retries=0)


def _anthropic_client(server: Any, key: str) -> Any:
    import anthropic

    return anthropic.Anthropic(base_url=server.base_url, api_key=key, max_retries=0)


def _anthropic_call(client: Any, **kwargs: Any) -> Any:
    model = kwargs.pop("model", "claude-x")
    return client.messages.create(model=model, max_tokens=16, messages=MESSAGES, **kwargs)


def _mistral_client(server: Any, key: str) -> Any:
    from fake_mistral import mistral_sdk

    return mistral_sdk().Mistral(api_key=key, server_url=server.base_url)


def _mistral_error() -> type[BaseException]:
    from fake_mistral import mistral_sdk

    return mistral_sdk().SDKError  # type: ignore[no-any-return]


def _gemini_client(server: Any, key: str) -> Any:
    from google import genai

    return genai.Client(api_key=key, http_options={"base_url": server.base_url})


def _gemini_error() -> type[BaseException]:
    from google.genai import errors

    return errors.ServerError


def _bedrock_client(server: Any, key: str) -> Any:
    import boto3
    from botocore.config import Config

    from fake_bedrock import ACCESS_KEY, SECRET_KEY

    # The canary is the session token: a secret boto3 sends as a header on every request
    # (the secret key only signs); retries off so that a 500 is one request.
    return boto3.client(
        "bedrock-runtime",
        endpoint_url=server.base_url,
        region_name="us-east-1",
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        aws_session_token=key,
        config=Config(retries={"total_max_attempts": 1}),
    )


_BEDROCK_MESSAGES = [{"role": "user", "content": [{"text": "secret prompt"}]}]


def _converse(model: str) -> Callable[[Any], Any]:
    return lambda client: client.converse(modelId=model, messages=_BEDROCK_MESSAGES)


def _bedrock_stream(client: Any) -> Any:
    stream = client.converse_stream(modelId="amazon.nova-lite-v1:0", messages=_BEDROCK_MESSAGES)
    return list(stream["stream"])


CASES: list[Case] = [
    Case(
        name="openai",
        sdk="openai",
        server=_fake("fake_openai", "FakeOpenAI"),
        client=_openai_client,
        call=_openai_chat("gpt-4o-mini"),
        stream=_consume(_openai_chat("gpt-4o-mini")),
        fail=_openai_chat("error-500"),
        error=lambda: importlib.import_module("openai").InternalServerError,
        provider="openai",
        error_type="InternalServerError",
        tokens=(12, 9),
        canary=_key("fake_openai"),
        bind=lambda c: partial(c.chat.completions.create, model="m", messages=MESSAGES),
    ),
    Case(
        name="groq",
        sdk="groq",
        server=_fake("fake_openai", "FakeOpenAI"),
        client=_groq_client,
        call=_openai_chat("llama"),
        stream=_consume(_openai_chat("llama")),
        fail=_openai_chat("error-500"),
        error=lambda: importlib.import_module("groq").InternalServerError,
        provider="groq",
        error_type="InternalServerError",
        tokens=(12, 9),
        canary=_key("fake_openai"),
        bind=lambda c: partial(c.chat.completions.create, model="m", messages=MESSAGES),
    ),
    Case(
        name="anthropic",
        sdk="anthropic",
        server=_fake("fake_anthropic", "FakeAnthropic"),
        client=_anthropic_client,
        call=_anthropic_call,
        stream=_consume(_anthropic_call),
        fail=lambda c: _anthropic_call(c, model="error-500"),
        error=lambda: importlib.import_module("anthropic").InternalServerError,
        provider="anthropic",
        error_type="InternalServerError",
        tokens=(19, 9),  # input counts the cache reads and writes (12 + 4 + 3)
        canary=_key("fake_anthropic"),
        bind=lambda c: partial(c.messages.create, model="m", max_tokens=8, messages=MESSAGES),
    ),
    Case(
        name="mistralai",
        sdk="mistralai",
        server=_fake("fake_mistral", "FakeMistral"),
        client=_mistral_client,
        call=lambda c: c.chat.complete(model="mistral-small", messages=MESSAGES),
        stream=lambda c: list(c.chat.stream(model="mistral-small", messages=MESSAGES)),
        fail=lambda c: c.chat.complete(model="error-500", messages=MESSAGES),
        error=_mistral_error,
        provider="mistral_ai",
        error_type="SDKError",
        tokens=(12, 9),
        canary=_key("fake_mistral"),
        bind=lambda c: partial(c.chat.complete, model="m", messages=MESSAGES),
    ),
    Case(
        name="gemini",
        sdk="google.genai",
        server=_fake("fake_gemini", "FakeGemini"),
        client=_gemini_client,
        call=lambda c: c.models.generate_content(
            model="gemini-2.5-flash", contents="secret prompt"
        ),
        stream=lambda c: list(
            c.models.generate_content_stream(model="gemini-2.5-flash", contents="secret prompt")
        ),
        fail=lambda c: c.models.generate_content(model="error-500", contents="secret prompt"),
        error=_gemini_error,
        provider="gcp.gemini",
        error_type="ServerError",
        tokens=(12, 9),
        canary=_key("fake_gemini"),
        bind=lambda c: partial(c.models.generate_content, model="m", contents="hi"),
    ),
    Case(
        name="bedrock",
        sdk="boto3",
        server=_fake("fake_bedrock", "FakeBedrock"),
        client=_bedrock_client,
        call=_converse("amazon.nova-lite-v1:0"),
        stream=_bedrock_stream,
        fail=_converse("error-500"),
        error=lambda: importlib.import_module("botocore.exceptions").ClientError,
        provider="aws.bedrock",
        error_type="InternalServerException",
        tokens=(12, 9),
        canary=_key("fake_bedrock"),
        bind=lambda c: partial(c.converse, modelId="m", messages=_BEDROCK_MESSAGES),
    ),
]
