"""completion / acompletion / embedding / aembedding: the shared chat contract (whole span,
tool round trip, async: tests/_lib/chat_contract.py), provider routing, errors (LiteLLM's
own exception classes), async twins."""

from __future__ import annotations

from typing import Any

import litellm
import pytest
from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from _support import span_dict
from chat_contract import (
    INPUT_MESSAGES,
    MESSAGES,
    SYSTEM,
    ChatCase,
    ChatContract,
    assert_failed,
    dead_port,
    first_client_span,
    only_span,
    output_messages,
)
from fake_anthropic import TEXT as ANTHROPIC_TEXT
from fake_openai import TEXT

pytestmark = pytest.mark.usefixtures("autolog")

SERVER_ERRORS = (litellm.InternalServerError, litellm.APIError)  # 500: by version
# How LiteLLM maps a refused connection depends on its version and the provider.
CONNECTION_ERRORS = (litellm.APIConnectionError, litellm.InternalServerError, litellm.APIError)


def _completion(args: dict[str, Any], model: str, messages: Any, **kwargs: Any) -> Any:
    # Model and messages by position, as LiteLLM allows.
    return litellm.completion(f"openai/{model}", messages, **args, **kwargs)


def _acompletion(args: dict[str, Any], model: str, **kwargs: Any) -> Any:
    return litellm.acompletion(model=f"openai/{model}", **args, **kwargs)


class TestChat(ChatContract):
    case = ChatCase(
        provider="openai",
        chat=_completion,
        achat=_acompletion,
        model="gpt-4o-mini",
        response_model="gpt-4o-mini-2024-07-18",
        text=TEXT,
        path="/v1/chat/completions",
    )


def test_anthropic_model_over_litellms_own_client(
    exporter: InMemorySpanExporter, fake_anthropic: Any, anthropic_args: dict[str, Any]
) -> None:
    response = litellm.completion(
        model="anthropic/claude-x",
        messages=[SYSTEM, *MESSAGES],
        max_tokens=64,
        **anthropic_args,
    )
    assert response.choices[0].message.content == ANTHROPIC_TEXT
    assert fake_anthropic.requests[-1]["path"] == "/v1/messages"
    snapshot = span_dict(only_span(exporter))
    attrs = snapshot["attributes"]
    assert str(attrs.pop("gen_ai.response.id")).startswith("chatcmpl-")  # LiteLLM's own id
    assert attrs.pop("gen_ai.usage.reasoning.output_tokens", 0) == 0  # reported since ~1.70
    assert snapshot == first_client_span(
        "chat claude-x",
        {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": "anthropic",
            "gen_ai.request.model": "claude-x",
            "gen_ai.request.max_tokens": 64,
            "server.address": "127.0.0.1",
            "server.port": fake_anthropic.port,
            "spanwise.span.type": "CHAT_MODEL",
            "gen_ai.input.messages": INPUT_MESSAGES,
            "gen_ai.response.model": "claude-x",
            "gen_ai.response.finish_reasons": ("stop",),
            # LiteLLM's prompt_tokens count cache reads and writes (12 + 4 + 3).
            "gen_ai.usage.input_tokens": 19,
            "gen_ai.usage.output_tokens": 9,
            "gen_ai.usage.cache_read.input_tokens": 4,
            "gen_ai.usage.cache_creation.input_tokens": 3,
            "gen_ai.output.messages": output_messages(ANTHROPIC_TEXT),
        },
    )


def test_bare_model_named_by_where_litellm_routed_it(
    exporter: InMemorySpanExporter, openai_args: dict[str, Any]
) -> None:
    litellm.completion(
        model="gpt-4o-mini", messages=MESSAGES, custom_llm_provider="openai", **openai_args
    )
    litellm.completion(model="gpt-4o-mini", messages=MESSAGES, **openai_args)
    for span in exporter.get_finished_spans():
        attrs = span.attributes or {}
        assert span.name == "chat gpt-4o-mini"
        assert attrs["gen_ai.request.model"] == "gpt-4o-mini"
        assert attrs["gen_ai.provider.name"] == "openai"  # the second: from the response


@pytest.mark.parametrize(
    ("model", "errors", "provider"),
    [
        ("openai/error-404", (litellm.NotFoundError,), "openai"),
        ("openai/error-500", SERVER_ERRORS, "openai"),
        ("anthropic/error-429", (litellm.RateLimitError,), "anthropic"),
        ("anthropic/error-400", (litellm.BadRequestError,), "anthropic"),
    ],
)
def test_errors_are_recorded_and_reraised_unchanged(
    exporter: InMemorySpanExporter,
    openai_args: dict[str, Any],
    anthropic_args: dict[str, Any],
    model: str,
    errors: tuple[type[Exception], ...],
    provider: str,
) -> None:
    args = openai_args if model.startswith("openai/") else anthropic_args
    with suppress_instrumentation(), pytest.raises(errors) as plain:  # what the app gets bare
        litellm.completion(model=model, messages=MESSAGES, max_tokens=8, **args)
    with pytest.raises(errors) as raised:
        litellm.completion(model=model, messages=MESSAGES, max_tokens=8, **args)
    assert type(raised.value) is type(plain.value)  # LiteLLM's own class, unchanged
    assert str(raised.value) == str(plain.value)
    snapshot = assert_failed(only_span(exporter), type(raised.value).__name__)
    assert snapshot["attributes"]["gen_ai.provider.name"] == provider


def test_provider_of_a_failed_bare_model_comes_from_the_error(
    exporter: InMemorySpanExporter,
) -> None:
    bare = sorted(litellm.anthropic_models)[0]  # a name LiteLLM routes to Anthropic itself
    # How LiteLLM maps a connection error depends on its version.
    with pytest.raises(CONNECTION_ERRORS) as raised:
        litellm.completion(
            model=bare,
            messages=MESSAGES,
            api_base=f"http://127.0.0.1:{dead_port()}",
            api_key="k",
            num_retries=0,
        )
    assert str(raised.value.llm_provider).startswith("anthropic")  # anthropic_text in 1.60
    attrs = only_span(exporter).attributes or {}
    assert attrs["gen_ai.request.model"] == bare
    assert attrs["gen_ai.provider.name"] == "anthropic"


def test_connection_error_is_reraised(exporter: InMemorySpanExporter) -> None:
    port = dead_port()
    with pytest.raises(CONNECTION_ERRORS) as raised:
        litellm.completion(
            model="openai/m",
            messages=MESSAGES,
            api_base=f"http://127.0.0.1:{port}/v1",
            api_key="k",
            num_retries=0,
            max_retries=0,
        )
    attrs = only_span(exporter).attributes or {}
    assert attrs["error.type"] == type(raised.value).__name__
    assert attrs["server.port"] == port


async def test_acompletion_error(
    exporter: InMemorySpanExporter, openai_args: dict[str, Any]
) -> None:
    with pytest.raises(SERVER_ERRORS) as raised:
        await litellm.acompletion(model="openai/error-500", messages=MESSAGES, **openai_args)
    assert_failed(only_span(exporter), type(raised.value).__name__)


def test_embedding(
    exporter: InMemorySpanExporter, fake_openai: Any, openai_args: dict[str, Any]
) -> None:
    response = litellm.embedding(
        "openai/text-embedding-3-small", ["secret a", "secret b"], dimensions=8, **openai_args
    )
    assert len(response.data) == 2
    assert fake_openai.requests[-1]["path"] == "/v1/embeddings"
    assert span_dict(only_span(exporter)) == first_client_span(
        "embeddings text-embedding-3-small",
        {
            "gen_ai.operation.name": "embeddings",
            "gen_ai.provider.name": "openai",
            "gen_ai.request.model": "text-embedding-3-small",
            "gen_ai.embeddings.dimension.count": 8,
            "server.address": "127.0.0.1",
            "server.port": fake_openai.port,
            "spanwise.span.type": "EMBEDDING",
            "gen_ai.response.model": "text-embedding-3-small",
            "gen_ai.usage.input_tokens": 5,
        },
    )


async def test_aembedding(exporter: InMemorySpanExporter, openai_args: dict[str, Any]) -> None:
    await litellm.aembedding(model="openai/text-embedding-3-small", input="hi", **openai_args)
    with pytest.raises(SERVER_ERRORS) as raised:
        await litellm.aembedding(model="openai/error-500", input="hi", **openai_args)
    ok, failed = exporter.get_finished_spans()
    assert ok.name == "embeddings text-embedding-3-small"
    assert (ok.attributes or {})["gen_ai.embeddings.dimension.count"] == 8
    assert (failed.attributes or {})["error.type"] == type(raised.value).__name__


async def test_router_calls_are_traced(
    exporter: InMemorySpanExporter, openai_args: dict[str, Any]
) -> None:
    params = {"model": "openai/gpt-4o-mini", "api_base": openai_args["api_base"]}
    router = litellm.Router(
        model_list=[
            {"model_name": "fast", "litellm_params": {**params, "api_key": openai_args["api_key"]}}
        ],
        num_retries=0,
    )
    router.completion(model="fast", messages=MESSAGES)
    await router.acompletion(model="fast", messages=MESSAGES)
    spans = exporter.get_finished_spans()
    assert [s.name for s in spans] == ["chat gpt-4o-mini", "chat gpt-4o-mini"]
    for span in spans:
        assert (span.attributes or {})["gen_ai.provider.name"] == "openai"
        assert (span.attributes or {})["gen_ai.usage.output_tokens"] == 9
