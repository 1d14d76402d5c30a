"""A local Anthropic Messages API endpoint for the demo and the tests.

``respond(path, body)`` is the whole behaviour, served two ways: ``FakeAnthropic`` (HTTP on
127.0.0.1, a free port, a daemon thread; ``python fake_anthropic.py`` runs it as its own
process) and ``mock_http_client()`` (in process, for ``http_client=``). Its ``base_url`` has
no ``/v1``: the Anthropic SDK puts that in every path.

Paths: ``/v1/messages`` (also ``?beta=true``), ``/v1/messages/count_tokens`` and the legacy
``/v1/complete``. The model name picks the scenario: ``error-400``, ``error-429``,
``error-500``, ``error-529`` (Anthropic's error JSON), ``slow`` (sleeps 2 s, HTTP only),
``stream-error`` (streamed, ``event: error`` after some text; unstreamed, a plain answer),
``thinking`` (a signed thinking block before the answer, as does any request with
``thinking`` enabled). Any other model behaves like a tool-using assistant: offered tools
and no ``tool_result`` yet, it calls the first tool (each required string property set to
"Paris"); given tool results, it answers from the last; asked for a JSON schema output, it
answers JSON; else it answers with text. ``stream=True`` answers with server-sent events,
text in ``x_chunks`` pieces (request field, default 5).
"""

from __future__ import annotations

import json
from typing import Any

from fake_server import Answer, FakeServer, mock_client, serve_forever

# A fake API key the tests plant and then search for in every exported byte.
CANARY_KEY = "sk-ant-canary-4b8d1e6f-do-not-leak"
TEXT = "Hello! The weather in Paris is sunny, 21 degrees."
THINKING = "The user wants a short answer. Paris is sunny today, so I will say that."
SIGNATURE = "EqQBCkYIARgCIkDfakeSignatureForTestsOnly0123456789abcdefABCDEF=="
WEATHER = {"city": "Paris", "temp_c": 21}
MESSAGE_ID = "msg_01FakeAnthropicMessage01"
TOOL_USE_ID = "toolu_01FakeAnthropicToolUse1"
REQUEST_ID = "req_01FakeAnthropicRequest01"
COMPLETION_ID = "compl_01FakeAnthropicCompl01"
USAGE = {
    "input_tokens": 12,
    "cache_creation_input_tokens": 3,
    "cache_read_input_tokens": 4,
    "cache_creation": {"ephemeral_5m_input_tokens": 3, "ephemeral_1h_input_tokens": 0},
    "output_tokens": 9,
    "service_tier": "standard",
}
ERRORS = {
    "error-400": (400, "invalid_request_error", "max_tokens: Field required"),
    "error-429": (429, "rate_limit_error", "Number of request tokens has exceeded your rate limit"),
    "error-500": (500, "api_error", "Internal server error"),
    "error-529": (529, "overloaded_error", "Overloaded"),
}
OVERLOADED = {"type": "overloaded_error", "message": "Overloaded"}  # the mid-stream error


def _split(text: str, pieces: int) -> list[str]:
    size = max(1, -(-len(text) // pieces))
    return [text[i : i + size] for i in range(0, len(text), size)]


def _json(status: int, payload: Any) -> Answer:
    return status, "application/json", json.dumps(payload).encode()


def _error(status: int, kind: str, message: str) -> Answer:
    error = {"type": "error", "error": {"type": kind, "message": message}, "request_id": REQUEST_ID}
    return _json(status, error)


def _sse(events: list[dict[str, Any]]) -> Answer:
    text = "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events)
    return 200, "text/event-stream; charset=utf-8", text.encode()


def respond(path: str, body: dict[str, Any]) -> Answer:
    """The answer to one request."""
    model = str(body.get("model", ""))
    path = path.split("?", maxsplit=1)[0]
    if model in ERRORS:
        return _error(*ERRORS[model])
    if path.endswith("/messages/count_tokens"):
        counted = [body.get("system"), body.get("messages"), body.get("tools")]
        return _json(200, {"input_tokens": max(1, len(json.dumps(counted)) // 4)})
    if path.endswith("/complete"):
        return _completion(body, model)
    if not path.endswith("/messages"):
        return _error(404, "not_found_error", f"Not found: {path}")
    blocks = _content(body, model)
    stop_reason = "tool_use" if blocks[-1]["type"] == "tool_use" else "end_turn"
    message: dict[str, Any] = {
        "id": MESSAGE_ID,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": blocks,
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": USAGE,
    }
    if not body.get("stream"):
        return _json(200, message)
    return _sse(_events(message, int(body.get("x_chunks") or 5), model == "stream-error"))


def _text_of(content: Any) -> str:
    """A tool_result's content: a string, or text blocks."""
    if isinstance(content, list):
        return " ".join(str(b.get("text", "")) for b in content if isinstance(b, dict))
    return str(content or "")


def _content(body: dict[str, Any], model: str) -> list[dict[str, Any]]:
    tool_results = [
        _text_of(block.get("content"))
        for m in body.get("messages") or []
        if m.get("role") == "user" and isinstance(m.get("content"), list)
        for block in m["content"]
        if isinstance(block, dict) and block.get("type") == "tool_result"
    ]
    tools = [t for t in body.get("tools") or [] if t.get("name")]
    blocks: list[dict[str, Any]] = []
    thinking = (body.get("thinking") or {}).get("type") in ("enabled", "adaptive")
    if thinking or model == "thinking":
        blocks.append({"type": "thinking", "thinking": THINKING, "signature": SIGNATURE})
    fmt = (body.get("output_config") or {}).get("format") or body.get("output_format") or {}
    if tools and not tool_results:
        schema = tools[0].get("input_schema") or {}
        props = schema.get("properties") or {}
        required = schema.get("required") or []
        args = {n: "Paris" for n in required if props.get(n, {}).get("type") == "string"}
        call = {"type": "tool_use", "id": TOOL_USE_ID, "name": tools[0]["name"], "input": args}
        blocks.append(call)
    elif tool_results:
        blocks.append({"type": "text", "text": f"Here is what I found: {tool_results[-1]}"})
    elif fmt.get("type") == "json_schema":
        blocks.append({"type": "text", "text": json.dumps(WEATHER)})
    else:
        blocks.append({"type": "text", "text": TEXT})
    return blocks


def _events(message: dict[str, Any], pieces: int, fail: bool) -> list[dict[str, Any]]:
    """The message as Anthropic streams it: start, one start/deltas/stop per block, end."""
    head = {**message, "content": [], "stop_reason": None, "stop_sequence": None}
    head["usage"] = {**USAGE, "output_tokens": 1}
    events: list[dict[str, Any]] = [{"type": "message_start", "message": head}]
    for index, block in enumerate(message["content"]):
        if block["type"] == "thinking":
            start = {"type": "thinking", "thinking": "", "signature": ""}
            parts = _split(block["thinking"], pieces)
            deltas = [{"type": "thinking_delta", "thinking": p} for p in parts]
            deltas.append({"type": "signature_delta", "signature": block["signature"]})
        elif block["type"] == "tool_use":
            start = {**block, "input": {}}
            parts = ["", *_split(json.dumps(block["input"]), 3)]
            deltas = [{"type": "input_json_delta", "partial_json": p} for p in parts]
        else:
            start = {"type": "text", "text": ""}
            deltas = [{"type": "text_delta", "text": p} for p in _split(block["text"], pieces)]
        events.append({"type": "content_block_start", "index": index, "content_block": start})
        if index == 0:
            events.append({"type": "ping"})
        for number, delta in enumerate(deltas):
            if fail and number == 2:
                events.append({"type": "error", "error": OVERLOADED})
                return events
            events.append({"type": "content_block_delta", "index": index, "delta": delta})
        events.append({"type": "content_block_stop", "index": index})
    delta = {"stop_reason": message["stop_reason"], "stop_sequence": None}
    usage = {"output_tokens": USAGE["output_tokens"]}
    events.append({"type": "message_delta", "delta": delta, "usage": usage})
    events.append({"type": "message_stop"})
    return events


def _completion(body: dict[str, Any], model: str) -> Answer:
    """The legacy Text Completions API (``client.completions.create``)."""
    base = {"type": "completion", "id": COMPLETION_ID, "model": model, "log_id": COMPLETION_ID}
    done = {"stop_reason": "stop_sequence", "stop": "\n\nHuman:"}
    if not body.get("stream"):
        return _json(200, {**base, "completion": f" {TEXT}", **done})
    parts = _split(f" {TEXT}", int(body.get("x_chunks") or 5))
    events = [{**base, "completion": p, "stop_reason": None, "stop": None} for p in parts]
    events.insert(1, {"type": "ping"})
    events.append({**base, "completion": "", **done})
    return _sse(events)


def mock_http_client() -> Any:
    """The same answers in process, for ``http_client=``: no socket, no server thread."""
    return mock_client(respond, {"request-id": REQUEST_ID})


class FakeAnthropic(FakeServer):
    """``respond`` over HTTP on 127.0.0.1; keeps every request's headers and body."""

    def __init__(self) -> None:
        super().__init__(respond, "", headers={"request-id": REQUEST_ID})


if __name__ == "__main__":  # its own process, sharing no GIL with a benchmark
    serve_forever(FakeAnthropic)
