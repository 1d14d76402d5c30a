"""A local Mistral API endpoint (chat completions, embeddings) for the tests and benchmarks.

``respond(path, body)`` is the whole behaviour, served two ways: ``FakeMistral`` (HTTP on
127.0.0.1, a free port, a daemon thread; ``python fake_mistral.py`` runs it as its own
process) and ``mock_http_client()`` (in process, for ``Mistral(client=...)``). Its
``base_url`` is the client's ``server_url``: the SDK puts ``/v1`` in every path.

Paths: ``/v1/chat/completions`` (streamed when the body says ``"stream": true``, as the
SDK's ``chat.stream()`` does) and ``/v1/embeddings``. The model name picks the scenario:
``error-400``, ``error-401``, ``error-429``, ``error-500`` (Mistral's error JSON),
``error-422`` (a validation error, ``HTTPValidationError`` in the SDK), ``slow`` (sleeps
2 s, HTTP only), ``stream-error`` (streamed: an error event after some text, which the
SDK cannot read as a completion event), ``magistral`` (a thinking chunk before the
answer, as Mistral's reasoning models give). Any other model behaves like a tool-using
assistant: offered tools and no ``tool`` message yet, it calls the first tool (each
required string property set to "Paris"); given tool results, it answers from the
last; else it answers with text. Streams send text in 5 pieces (``N`` pieces for a model
named ``name@N``: the SDK sends no fields it does not know), then the finish reason and
the usage, then ``[DONE]``.
"""

from __future__ import annotations

import importlib
import json
from importlib import metadata
from types import SimpleNamespace
from typing import Any

from fake_server import Answer, FakeServer, mock_client, serve_forever

# A fake API key the tests plant and then search for in every exported byte.
CANARY_KEY = "mistral-canary-7c1e9a2b-do-not-leak"
TEXT = "Hello! The weather in Paris is sunny, 21 degrees."
THINKING = "The user wants the weather. Paris is sunny today, so I will say that."
RESPONSE_ID = "cmpl-fake0mistral0response01"
EMBEDDINGS_ID = "embd-fake0mistral0embeddings1"
TOOL_CALL_ID = "D681PevKs"
CREATED = 1757759490
USAGE = {"prompt_tokens": 12, "completion_tokens": 9, "total_tokens": 21}
DIMENSION = 8
ERRORS = {
    "error-400": (400, "invalid_request_message_order", "Unexpected role 'user' after role 'tool'"),
    "error-401": (401, "unauthorized", "Unauthorized"),
    "error-429": (429, "rate_limited", "Requests rate limit exceeded"),
    "error-500": (500, "internal_server_error", "Internal server error"),
}


def _split(text: str, pieces: int) -> list[str]:
    size = max(1, -(-len(text) // pieces))
    return [text[i : i + size] for i in range(0, len(text), size)]


def _json(status: int, payload: Any) -> Answer:
    return status, "application/json", json.dumps(payload).encode()


def _error(status: int, kind: str, message: str) -> Answer:
    payload = {"object": "error", "message": message, "type": kind, "param": None, "code": None}
    return _json(status, payload)


def _validation_error() -> Answer:
    detail = [{"type": "missing", "loc": ["body", "messages"], "msg": "Field required"}]
    return _json(422, {"detail": detail})


def respond(path: str, body: dict[str, Any]) -> Answer:
    """The answer to one request."""
    model = str(body.get("model", ""))
    path = path.split("?", maxsplit=1)[0]
    if model in ERRORS:
        return _error(*ERRORS[model])
    if model == "error-422":
        return _validation_error()
    if path.endswith("/embeddings"):
        return _embeddings(body, model)
    if not path.endswith("/chat/completions"):
        return _error(404, "not_found", f"Not found: {path}")
    message = _message(body, model)
    finish = "tool_calls" if message.get("tool_calls") else "stop"
    if not body.get("stream"):
        choice = {"index": 0, "message": message, "finish_reason": finish}
        response = {
            "id": RESPONSE_ID,
            "object": "chat.completion",
            "created": CREATED,
            "model": model,
            "choices": [choice],
            "usage": USAGE,
        }
        return _json(200, response)
    pieces = model.rpartition("@")[2]
    return _sse(_chunks(message, finish, model, int(pieces) if pieces.isdigit() else 5))


def _message(body: dict[str, Any], model: str) -> dict[str, Any]:
    messages = body.get("messages") or []
    results = [str(m.get("content") or "") for m in messages if m.get("role") == "tool"]
    tools = [t.get("function") or {} for t in body.get("tools") or []]
    if tools and not results:
        schema = tools[0].get("parameters") or {}
        props = schema.get("properties") or {}
        required = schema.get("required") or []
        args = {n: "Paris" for n in required if props.get(n, {}).get("type") == "string"}
        function = {"name": tools[0].get("name", ""), "arguments": json.dumps(args)}
        call = {"id": TOOL_CALL_ID, "type": "function", "function": function, "index": 0}
        return {"role": "assistant", "content": "", "tool_calls": [call]}
    text = f"Here is what I found: {results[-1]}" if results else TEXT
    if model == "magistral":
        thinking = {"type": "thinking", "thinking": [{"type": "text", "text": THINKING}]}
        content: Any = [thinking, {"type": "text", "text": text}]
        return {"role": "assistant", "content": content, "tool_calls": None}
    return {"role": "assistant", "content": text, "tool_calls": None}


def _chunk(model: str, delta: dict[str, Any], finish: str | None = None, **extra: Any) -> Any:
    choice = {"index": 0, "delta": delta, "finish_reason": finish}
    head = {"id": RESPONSE_ID, "object": "chat.completion.chunk", "created": CREATED}
    return {**head, "model": model, "choices": [choice], **extra}


def _chunks(message: dict[str, Any], finish: str, model: str, pieces: int) -> list[Any]:
    """The message as Mistral streams it: the role, content deltas, tool calls whole,
    then the finish reason with the usage."""
    out: list[Any] = [_chunk(model, {"role": "assistant", "content": ""})]
    content = message["content"]
    for block in content if isinstance(content, list) else [{"type": "text", "text": content}]:
        if block["type"] == "thinking":
            for piece in _split(block["thinking"][0]["text"], pieces):
                thought = [{"type": "thinking", "thinking": [{"type": "text", "text": piece}]}]
                out.append(_chunk(model, {"content": thought}))
        elif block["text"]:
            out += [_chunk(model, {"content": p}) for p in _split(block["text"], pieces)]
    if message.get("tool_calls"):
        out.append(_chunk(model, {"content": "", "tool_calls": message["tool_calls"]}))
    if model == "stream-error":
        out.insert(3, {"object": "error", "message": "Service unavailable", "type": "overloaded"})
        return out[:4]
    out.append(_chunk(model, {"content": ""}, finish, usage=USAGE))
    return out


def _sse(events: list[Any]) -> Answer:
    text = "".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n"
    return 200, "text/event-stream", text.encode()


def _embeddings(body: dict[str, Any], model: str) -> Answer:
    inputs = body.get("inputs", body.get("input"))
    texts = inputs if isinstance(inputs, list) else [inputs]
    dimension = int(body.get("output_dimension") or DIMENSION)
    data = [
        {"object": "embedding", "index": i, "embedding": [0.125 * (i + 1)] * dimension}
        for i in range(len(texts))
    ]
    usage = {
        "prompt_tokens": 3 * len(texts),
        "completion_tokens": 0,
        "total_tokens": 3 * len(texts),
    }
    response = {"id": EMBEDDINGS_ID, "object": "list", "model": model, "data": data, "usage": usage}
    return _json(200, response)


def mistral_sdk() -> SimpleNamespace:
    """The installed SDK's client class, error classes, models and ``Chat`` class (the
    modules moved under ``mistralai.client`` in 2.0), and its (major, minor) version."""
    try:
        package = importlib.import_module("mistralai.client")
        errors = importlib.import_module("mistralai.client.errors")
        models = importlib.import_module("mistralai.client.models")
        chat = importlib.import_module("mistralai.client.chat")
    except ImportError:  # 1.x
        package = importlib.import_module("mistralai")
        errors = models = importlib.import_module("mistralai.models")
        chat = importlib.import_module("mistralai.chat")
    return SimpleNamespace(
        Mistral=package.Mistral,
        SDKError=errors.SDKError,
        HTTPValidationError=errors.HTTPValidationError,
        models=models,
        Chat=chat.Chat,
        version=tuple(int(p) for p in metadata.version("mistralai").split(".")[:2]),
    )


def mock_http_client() -> Any:
    """The same answers in process, for ``Mistral(client=...)``: no socket, no thread."""
    return mock_client(respond)


class FakeMistral(FakeServer):
    """``respond`` over HTTP on 127.0.0.1; keeps every request's headers and body."""

    def __init__(self) -> None:
        super().__init__(respond, "")


if __name__ == "__main__":  # its own process, sharing no GIL with a benchmark
    serve_forever(FakeMistral)
