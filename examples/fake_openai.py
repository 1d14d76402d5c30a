"""A local OpenAI-compatible endpoint for the demo, the tests and the benchmarks.

``respond(path, body)`` is the whole behaviour, served two ways: ``FakeOpenAI`` (HTTP on
127.0.0.1, a free port, a daemon thread; ``python fake_openai.py`` runs it as its own
process) and ``mock_http_client()`` (in process, for ``http_client=``).

The model name picks the scenario: ``tools`` (two tool calls), ``error-404``,
``error-500``, ``slow`` (sleeps 2 s, HTTP only), ``quirks`` (choice index null, no usage),
``no-choices``, ``reasoning`` (the answer's reasoning in ``reasoning``, as Groq's
``reasoning_format="parsed"`` and OpenRouter send it) and ``reasoning-content`` (in
``reasoning_content``, as DeepSeek and vLLM do; streams send it first). Any other model behaves like a tool-using assistant: offered tools and no
tool result yet, it calls the first tool; given tool results, it answers from them; else
it answers with text. ``stream=True`` answers with server-sent events in ``x_chunks``
pieces (request field, default 5); ``stream_options.include_usage`` adds the usage chunk.
Groq's paths (``/openai/v1/...``) are served too, its streams as Groq sends them: the
first and the final chunk carry an ``x_groq`` extension, the final one with the usage.
"""

from __future__ import annotations

import json
from typing import Any

from fake_server import Answer, FakeServer, mock_client, serve_forever

# A fake API key the tests plant and then search for in every exported byte.
CANARY_KEY = "sk-canary-7f3a9c2e-do-not-leak"
TEXT = "Hello! The weather in Paris is sunny, 21 degrees."
WEATHER = {"city": "Paris", "temp_c": 21}
USAGE = {
    "prompt_tokens": 12,
    "completion_tokens": 9,
    "total_tokens": 21,
    "prompt_tokens_details": {"cached_tokens": 4},
    "completion_tokens_details": {"reasoning_tokens": 2},
}
REASONING = "The user asks about Paris; the tool said sunny."
TOOL_CALLS = [
    {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}},
    {"id": "call_2", "type": "function", "function": {"name": "get_time", "arguments": '{"tz": "CET"}'}},
]



def _split(text: str, pieces: int) -> list[str]:
    size = max(1, -(-len(text) // pieces))
    return [text[i : i + size] for i in range(0, len(text), size)]


def _json(status: int, payload: Any) -> Answer:
    return status, "application/json", json.dumps(payload).encode()


def _message(content: str | None, tool_calls: list[Any] | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if tool_calls:
        message["tool_calls"] = tool_calls
    return message


def _reasoning_key(model: str) -> str | None:
    return {"reasoning": "reasoning", "reasoning-content": "reasoning_content"}.get(model)


def respond(path: str, body: dict[str, Any]) -> Answer:
    """The answer to one request."""
    model = str(body.get("model", ""))
    path = path.split("?", maxsplit=1)[0]
    if model == "error-404":
        return _json(404, {"error": {"message": "The model does not exist", "type": "invalid_request_error", "code": "model_not_found"}})
    if model == "error-500":
        return _json(500, {"error": {"message": "boom", "type": "server_error"}})
    if path.endswith("/embeddings"):
        count = len(body["input"]) if isinstance(body.get("input"), list) else 1
        data = [{"object": "embedding", "index": i, "embedding": [0.1 * j for j in range(8)]} for i in range(count)]
        return _json(200, {"object": "list", "model": model, "data": data, "usage": {"prompt_tokens": 5, "total_tokens": 5}})
    if path.endswith("/responses"):
        return _responses(body, model)
    legacy = path.endswith("/completions") and not path.endswith("/chat/completions")
    if body.get("stream"):
        chunks = _chunks(body, model, legacy)
        if path.startswith("/openai/"):  # Groq: its request id first and last, usage last
            chunks[0]["x_groq"] = {"id": "req_groq_1"}
            chunks[-1]["x_groq"] = {"id": "req_groq_1", "usage": USAGE}
        events = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks)
        return 200, "text/event-stream", (events + "data: [DONE]\n\n").encode()
    n = int(body.get("n") or 1)
    tool_results = [m.get("content") for m in body.get("messages") or [] if m.get("role") == "tool"]
    if legacy:
        choices = [{"index": i, "text": TEXT, "finish_reason": "stop", "logprobs": None} for i in range(n)]
    elif model == "tools":
        choices = [{"index": 0, "finish_reason": "tool_calls", "message": _message(None, TOOL_CALLS)}]
    elif body.get("tools") and not tool_results:
        tool = body["tools"][0]["function"]
        args = json.dumps({"city": "Paris"} if "city" in json.dumps(tool.get("parameters")) else {})
        call = {"id": "call_demo", "type": "function", "function": {"name": tool["name"], "arguments": args}}
        choices = [{"index": 0, "finish_reason": "tool_calls", "message": _message(None, [call])}]
    elif tool_results:
        choices = [{"index": 0, "finish_reason": "stop", "message": _message(f"Here is what I found: {tool_results[-1]}")}]
    elif (body.get("response_format") or {}).get("type") == "json_schema":
        choices = [{"index": 0, "finish_reason": "stop", "message": _message(json.dumps(WEATHER))}]
    else:
        choices = [{"index": i, "finish_reason": "stop", "message": _message(TEXT)} for i in range(n)]
        key = _reasoning_key(model)
        if key is not None:
            for choice in choices:
                choice["message"][key] = REASONING
    payload: dict[str, Any] = {
        "id": "chatcmpl-123", "object": "text_completion" if legacy else "chat.completion",
        "created": 1700000000, "model": f"{model}-2024-07-18", "choices": choices, "usage": USAGE,
    }
    if model == "quirks":
        for choice in choices:
            choice["index"] = None
        del payload["usage"]
    if model == "no-choices":
        payload["choices"] = None
    return _json(200, payload)


def _chunks(body: dict[str, Any], model: str, legacy: bool) -> list[dict[str, Any]]:
    pieces = int(body.get("x_chunks") or 5)
    base = {"id": "chatcmpl-123", "object": "chat.completion.chunk", "created": 1700000000, "model": f"{model}-2024-07-18"}

    def chunk(index: int | None, delta: dict[str, Any] | None = None, finish: str | None = None, **extra: Any) -> dict[str, Any]:
        choice: dict[str, Any] = {"index": index, "finish_reason": finish, **extra}
        if delta is not None:
            choice["delta"] = delta
        return {**base, "choices": [choice]}

    chunks: list[dict[str, Any]] = []
    if legacy:
        chunks += [chunk(0, text=part) for part in _split(TEXT, pieces)]
        chunks.append(chunk(0, finish="stop", text=""))
    elif model == "tools":
        for slot, call in enumerate(TOOL_CALLS):
            head = {"index": slot, "id": call["id"], "type": "function", "function": {"name": call["function"]["name"], "arguments": ""}}
            chunks.append(chunk(0, {"role": "assistant", "tool_calls": [head]}))
            for part in _split(call["function"]["arguments"], 3):
                chunks.append(chunk(0, {"tool_calls": [{"index": slot, "function": {"arguments": part}}]}))
        chunks.append(chunk(0, {}, "tool_calls"))
    else:
        for choice in range(int(body.get("n") or 1)):
            index = None if model == "quirks" else choice
            chunks.append(chunk(index, {"role": "assistant", "content": ""}))
            key = _reasoning_key(model)
            if key is not None:
                chunks += [chunk(index, {key: part}) for part in _split(REASONING, 3)]
            # One character a piece when more pieces than TEXT has characters are asked.
            text = (TEXT * (pieces // len(TEXT) + 1))[: max(pieces, len(TEXT))]
            chunks += [chunk(index, {"content": part}) for part in _split(text, pieces)]
            chunks.append(chunk(index, {}, "stop"))
    if (body.get("stream_options") or {}).get("include_usage"):
        chunks.append({**base, "choices": [], "usage": USAGE})
    return chunks


def _responses(body: dict[str, Any], model: str) -> Answer:
    """The Responses API: a text answer (JSON when a json_schema format is asked)."""
    fmt = ((body.get("text") or {}).get("format") or {}).get("type")
    text = json.dumps(WEATHER) if fmt == "json_schema" else TEXT
    item = {"type": "message", "id": "msg_1", "status": "completed", "role": "assistant",
            "content": [{"type": "output_text", "text": text, "annotations": []}]}
    response: dict[str, Any] = {
        "id": "resp_123", "object": "response", "created_at": 1700000000, "status": "completed",
        "model": f"{model}-2024-07-18", "parallel_tool_calls": True, "tool_choice": "auto", "tools": [],
        "output": [item],
        "usage": {"input_tokens": 12, "output_tokens": 9, "total_tokens": 21,
                  "input_tokens_details": {"cached_tokens": 4}, "output_tokens_details": {"reasoning_tokens": 2}},
    }
    if not body.get("stream"):
        return _json(200, response)
    where = {"item_id": "msg_1", "output_index": 0, "content_index": 0}
    events: list[dict[str, Any]] = [
        {"type": "response.created", "response": {**response, "status": "in_progress", "output": []}},
        {"type": "response.output_item.added", "output_index": 0, "item": {**item, "status": "in_progress", "content": []}},
        {"type": "response.content_part.added", **where, "part": {"type": "output_text", "text": "", "annotations": []}},
        *({"type": "response.output_text.delta", **where, "delta": part, "logprobs": []} for part in _split(text, 5)),
        {"type": "response.output_text.done", **where, "text": text, "logprobs": []},
        {"type": "response.content_part.done", **where, "part": item["content"][0]},
        {"type": "response.output_item.done", "output_index": 0, "item": item},
        {"type": "response.completed", "response": response},
    ]
    for number, event in enumerate(events):
        event["sequence_number"] = number
    text_events = "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events)
    return 200, "text/event-stream", text_events.encode()


def mock_http_client() -> Any:
    """The same answers in process, for ``http_client=``: no socket, no server thread."""
    return mock_client(respond)


class FakeOpenAI(FakeServer):
    """``respond`` over HTTP on 127.0.0.1; keeps every request's headers and body."""

    def __init__(self) -> None:
        super().__init__(respond, "/v1")


if __name__ == "__main__":  # its own process, sharing no GIL with a benchmark
    serve_forever(FakeOpenAI)
