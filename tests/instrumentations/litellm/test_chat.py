"""completion / acompletion / embedding / aembedding: whole spans, provider routing, tools
and tool results, errors (LiteLLM's own exception classes), async twins."""

from __future__ import annotations

import json
import socket
from typing import Any

import litellm
import pytest
from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import semconv_check
from _support import loads, span_dict
from fake_anthropic import TEXT as ANTHROPIC_TEXT
from fake_openai import TEXT

pytestmark = pytest.mark.usefixtures("autolog")

MESSAGES = [{"role": "user", "content": "Weather in Paris?"}]
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "The weather in a city",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
]
COMPACT = {"separators": (",", ":")}
SERVER_ERRORS = (litellm.InternalServerError, litellm.APIError)  # 500: by version
# How LiteLLM maps a refused connection depends on its version and the provider.
CONNECTION_ERRORS = (litellm.APIConnectionError, litellm.InternalServerError, litellm.APIError)


def _only(exporter: InMemorySpanExporter) -> ReadableSpan:
    (span,) = exporter.get_finished_spans()
    if semconv_check.available():
        semconv_check.check_attributes(dict(span.attributes or {}))
    return span


def test_whole_span(
    exporter: InMemorySpanExporter, fake_openai: Any, openai_args: dict[str, Any]
) -> None:
    response = litellm.completion(
        "openai/gpt-4o-mini",  # model and messages by position, as LiteLLM allows
        [{"role": "system", "content": "You are terse."}, *MESSAGES],
        max_tokens=256,
        temperature=0.2,
        top_p=0.9,
        seed=7,
        stop=["\n\n"],
        presence_penalty=0.5,
        frequency_penalty=0.25,
        response_format={"type": "json_object"},
        **openai_args,
    )
    assert response.choices[0].message.content == TEXT
    assert fake_openai.requests[-1]["path"] == "/v1/chat/completions"
    assert span_dict(_only(exporter)) == {
        "name": "chat gpt-4o-mini",
        "kind": "CLIENT",
        "trace_id": 1,
        "span_id": 1,
        "parent_id": None,
        "status": "UNSET",
        "attributes": {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": "openai",
            "gen_ai.request.model": "gpt-4o-mini",
            "gen_ai.request.max_tokens": 256,
            "gen_ai.request.temperature": 0.2,
            "gen_ai.request.top_p": 0.9,
            "gen_ai.request.seed": 7,
            "gen_ai.request.stop_sequences": ("\n\n",),
            "gen_ai.request.presence_penalty": 0.5,
            "gen_ai.request.frequency_penalty": 0.25,
            "gen_ai.output.type": "json",
            "server.address": "127.0.0.1",
            "server.port": fake_openai.port,
            "spanwise.span.type": "CHAT_MODEL",
            "gen_ai.input.messages": json.dumps(
                [
                    {"role": "system", "parts": [{"type": "text", "content": "You are terse."}]},
                    {"role": "user", "parts": [{"type": "text", "content": "Weather in Paris?"}]},
                ],
                **COMPACT,
            ),
            "gen_ai.response.id": "chatcmpl-123",
            "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
            "gen_ai.response.finish_reasons": ("stop",),
            "gen_ai.usage.input_tokens": 12,
            "gen_ai.usage.output_tokens": 9,
            "gen_ai.usage.cache_read.input_tokens": 4,
            "gen_ai.usage.reasoning.output_tokens": 2,
            "gen_ai.output.messages": json.dumps(
                [
                    {
                        "role": "assistant",
                        "parts": [{"type": "text", "content": TEXT}],
                        "finish_reason": "stop",
                    }
                ],
                **COMPACT,
            ),
        },
    }


def test_anthropic_model_over_litellms_own_client(
    exporter: InMemorySpanExporter, fake_anthropic: Any, anthropic_args: dict[str, Any]
) -> None:
    response = litellm.completion(
        model="anthropic/claude-x",
        messages=[{"role": "system", "content": "You are terse."}, *MESSAGES],
        max_tokens=64,
        **anthropic_args,
    )
    assert response.choices[0].message.content == ANTHROPIC_TEXT
    assert fake_anthropic.requests[-1]["path"] == "/v1/messages"
    snapshot = span_dict(_only(exporter))
    attrs = snapshot["attributes"]
    assert str(attrs.pop("gen_ai.response.id")).startswith("chatcmpl-")  # LiteLLM's own id
    assert attrs.pop("gen_ai.usage.reasoning.output_tokens", 0) == 0  # reported since ~1.70
    assert snapshot == {
        "name": "chat claude-x",
        "kind": "CLIENT",
        "trace_id": 1,
        "span_id": 1,
        "parent_id": None,
        "status": "UNSET",
        "attributes": {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": "anthropic",
            "gen_ai.request.model": "claude-x",
            "gen_ai.request.max_tokens": 64,
            "server.address": "127.0.0.1",
            "server.port": fake_anthropic.port,
            "spanwise.span.type": "CHAT_MODEL",
            "gen_ai.input.messages": json.dumps(
                [
                    {"role": "system", "parts": [{"type": "text", "content": "You are terse."}]},
                    {"role": "user", "parts": [{"type": "text", "content": "Weather in Paris?"}]},
                ],
                **COMPACT,
            ),
            "gen_ai.response.model": "claude-x",
            "gen_ai.response.finish_reasons": ("stop",),
            # LiteLLM's prompt_tokens count cache reads and writes (12 + 4 + 3).
            "gen_ai.usage.input_tokens": 19,
            "gen_ai.usage.output_tokens": 9,
            "gen_ai.usage.cache_read.input_tokens": 4,
            "gen_ai.usage.cache_creation.input_tokens": 3,
            "gen_ai.output.messages": json.dumps(
                [
                    {
                        "role": "assistant",
                        "parts": [{"type": "text", "content": ANTHROPIC_TEXT}],
                        "finish_reason": "stop",
                    }
                ],
                **COMPACT,
            ),
        },
    }


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


def test_tool_calls_and_tool_results(
    exporter: InMemorySpanExporter, openai_args: dict[str, Any]
) -> None:
    first = litellm.completion(model="openai/m", messages=MESSAGES, tools=TOOLS, **openai_args)
    (call,) = first.choices[0].message.tool_calls
    history = [
        *MESSAGES,
        {
            "role": "assistant",
            "tool_calls": [
                {
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.function.name, "arguments": call.function.arguments},
                }
            ],
        },
        {"role": "tool", "tool_call_id": call.id, "content": "21 C"},
    ]
    second = litellm.completion(model="openai/m", messages=history, tools=TOOLS, **openai_args)
    assert second.choices[0].message.content == "Here is what I found: 21 C"
    asked, answered = exporter.get_finished_spans()
    attrs = asked.attributes or {}
    assert attrs["gen_ai.response.finish_reasons"] == ("tool_calls",)
    assert loads(attrs["gen_ai.tool.definitions"]) == [
        {
            "type": "function",
            "name": "get_weather",
            "description": "The weather in a city",
            "parameters": TOOLS[0]["function"]["parameters"],
        }
    ]
    tool_call = {
        "type": "tool_call",
        "name": "get_weather",
        "id": "call_demo",
        "arguments": {"city": "Paris"},
    }
    assert loads(attrs["gen_ai.output.messages"]) == [
        {"role": "assistant", "parts": [tool_call], "finish_reason": "tool_calls"}
    ]
    inputs = loads((answered.attributes or {})["gen_ai.input.messages"])
    assert inputs[1] == {"role": "assistant", "parts": [tool_call]}
    assert inputs[2] == {
        "role": "tool",
        "parts": [{"type": "tool_call_response", "id": "call_demo", "response": "21 C"}],
    }
    for span in (asked, answered):
        if semconv_check.available():
            semconv_check.check_attributes(dict(span.attributes or {}))


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
    snapshot = span_dict(_only(exporter))
    assert snapshot["status"] == "ERROR"
    assert snapshot["attributes"]["error.type"] == type(raised.value).__name__
    assert snapshot["attributes"]["gen_ai.provider.name"] == provider
    assert [e["name"] for e in snapshot["events"]] == ["exception"]
    assert "gen_ai.output.messages" not in snapshot["attributes"]


def _dead_port() -> int:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_provider_of_a_failed_bare_model_comes_from_the_error(
    exporter: InMemorySpanExporter,
) -> None:
    bare = sorted(litellm.anthropic_models)[0]  # a name LiteLLM routes to Anthropic itself
    # How LiteLLM maps a connection error depends on its version.
    with pytest.raises(CONNECTION_ERRORS) as raised:
        litellm.completion(
            model=bare,
            messages=MESSAGES,
            api_base=f"http://127.0.0.1:{_dead_port()}",
            api_key="k",
            num_retries=0,
        )
    assert str(raised.value.llm_provider).startswith("anthropic")  # anthropic_text in 1.60
    attrs = _only(exporter).attributes or {}
    assert attrs["gen_ai.request.model"] == bare
    assert attrs["gen_ai.provider.name"] == "anthropic"


def test_connection_error_is_reraised(exporter: InMemorySpanExporter) -> None:
    port = _dead_port()
    with pytest.raises(CONNECTION_ERRORS) as raised:
        litellm.completion(
            model="openai/m",
            messages=MESSAGES,
            api_base=f"http://127.0.0.1:{port}/v1",
            api_key="k",
            num_retries=0,
            max_retries=0,
        )
    attrs = _only(exporter).attributes or {}
    assert attrs["error.type"] == type(raised.value).__name__
    assert attrs["server.port"] == port


async def test_acompletion(exporter: InMemorySpanExporter, openai_args: dict[str, Any]) -> None:
    response = await litellm.acompletion(
        model="openai/m", messages=MESSAGES, tools=TOOLS, **openai_args
    )
    assert response.choices[0].message.tool_calls[0].id == "call_demo"
    with pytest.raises(SERVER_ERRORS) as raised:
        await litellm.acompletion(model="openai/error-500", messages=MESSAGES, **openai_args)
    ok, failed = exporter.get_finished_spans()
    attrs = ok.attributes or {}
    assert ok.name == "chat m" and attrs["gen_ai.provider.name"] == "openai"
    assert loads(attrs["gen_ai.output.messages"])[0]["parts"][0]["type"] == "tool_call"
    assert attrs["gen_ai.response.finish_reasons"] == ("tool_calls",)
    assert failed.status.status_code.name == "ERROR"
    assert (failed.attributes or {})["error.type"] == type(raised.value).__name__


def test_embedding(
    exporter: InMemorySpanExporter, fake_openai: Any, openai_args: dict[str, Any]
) -> None:
    response = litellm.embedding(
        "openai/text-embedding-3-small", ["secret a", "secret b"], dimensions=8, **openai_args
    )
    assert len(response.data) == 2
    assert fake_openai.requests[-1]["path"] == "/v1/embeddings"
    assert span_dict(_only(exporter)) == {
        "name": "embeddings text-embedding-3-small",
        "kind": "CLIENT",
        "trace_id": 1,
        "span_id": 1,
        "parent_id": None,
        "status": "UNSET",
        "attributes": {
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
    }


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
