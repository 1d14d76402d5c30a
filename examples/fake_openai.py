"""A local OpenAI-compatible server for the demo, the tests and the benchmarks.

Binds 127.0.0.1 on a free port, runs in a daemon thread, stops with ``stop()``. The
model name picks the scenario: ``tools`` (two tool calls), ``error-404``, ``error-500``,
``slow`` (sleeps 2 s), ``quirks`` (choice index null, no usage), ``no-choices``. Any
other model behaves like a tool-using assistant: offered tools and no tool result yet,
it calls the first tool; given tool results, it answers from them; else it answers text. ``stream=True`` answers with server-sent events, split into
``chunks`` pieces (request field ``x_chunks``, default 5); ``stream_options.include_usage``
adds the usage chunk. Every request's headers and body are kept in ``requests``.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# A fake API key the tests plant and then search for in every exported byte.
CANARY_KEY = "sk-canary-7f3a9c2e-do-not-leak"
TEXT = "Hello! The weather in Paris is sunny, 21 degrees."
USAGE = {
    "prompt_tokens": 12,
    "completion_tokens": 9,
    "total_tokens": 21,
    "prompt_tokens_details": {"cached_tokens": 4},
    "completion_tokens_details": {"reasoning_tokens": 2},
}
WEATHER = {"city": "Paris", "temp_c": 21}
TOOL_CALLS = [
    {
        "id": "call_1",
        "type": "function",
        "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
    },
    {
        "id": "call_2",
        "type": "function",
        "function": {"name": "get_time", "arguments": '{"tz": "CET"}'},
    },
]


def _split(text: str, pieces: int) -> list[str]:
    size = max(1, -(-len(text) // pieces))
    return [text[i : i + size] for i in range(0, len(text), size)]


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that stops reading a stream early is expected here, not an error.
        pass


class FakeOpenAI:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                server.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "body": body}
                )
                server.handle(self, body)

        self._server = _QuietServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # -- responses ---------------------------------------------------------------------

    def handle(self, request: BaseHTTPRequestHandler, body: dict[str, Any]) -> None:
        model = str(body.get("model", ""))
        if model == "error-404":
            return self._json(
                request,
                404,
                {
                    "error": {
                        "message": "The model does not exist",
                        "type": "invalid_request_error",
                        "code": "model_not_found",
                    }
                },
            )
        if model == "error-500":
            return self._json(request, 500, {"error": {"message": "boom", "type": "server_error"}})
        if model == "slow":
            time.sleep(2)
        path = request.path.split("?")[0]
        if path.endswith("/embeddings"):
            inputs = body.get("input")
            count = len(inputs) if isinstance(inputs, list) else 1
            return self._json(
                request,
                200,
                {
                    "object": "list",
                    "model": model,
                    "data": [
                        {
                            "object": "embedding",
                            "index": i,
                            "embedding": [0.1 * j for j in range(8)],
                        }
                        for i in range(count)
                    ],
                    "usage": {"prompt_tokens": 5, "total_tokens": 5},
                },
            )
        if path.endswith("/responses"):
            return self._responses(request, body, model)
        legacy = path.endswith("/completions") and not path.endswith("/chat/completions")
        if body.get("stream"):
            return self._stream(request, body, model, legacy)
        n = int(body.get("n") or 1)
        messages = body.get("messages") or []
        tool_results = [m.get("content") for m in messages if m.get("role") == "tool"]
        if body.get("tools") and not tool_results and model != "tools" and not legacy:
            tool = body["tools"][0]["function"]
            args = json.dumps(
                {"city": "Paris"} if "city" in json.dumps(tool.get("parameters")) else {}
            )
            call = {
                "id": "call_demo",
                "type": "function",
                "function": {"name": tool["name"], "arguments": args},
            }
            choices = [
                {
                    "index": 0,
                    "finish_reason": "tool_calls",
                    "message": {"role": "assistant", "content": None, "tool_calls": [call]},
                }
            ]
        elif tool_results and not legacy:
            answer = f"Here is what I found: {tool_results[-1]}"
            choices = [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": answer},
                }
            ]
        elif (body.get("response_format") or {}).get("type") == "json_schema":
            choices = [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": json.dumps(WEATHER)},
                }
            ]
        elif legacy:
            choices = [
                {"index": i, "text": TEXT, "finish_reason": "stop", "logprobs": None}
                for i in range(n)
            ]
        elif model == "tools":
            choices = [
                {
                    "index": 0,
                    "finish_reason": "tool_calls",
                    "message": {"role": "assistant", "content": None, "tool_calls": TOOL_CALLS},
                }
            ]
        else:
            choices = [
                {
                    "index": i,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": TEXT},
                }
                for i in range(n)
            ]
        payload: dict[str, Any] = {
            "id": "chatcmpl-123",
            "object": "text_completion" if legacy else "chat.completion",
            "created": 1700000000,
            "model": f"{model}-2024-07-18",
            "choices": choices,
            "usage": USAGE,
        }
        if model == "quirks":
            for choice in choices:
                choice["index"] = None
            del payload["usage"]
        if model == "no-choices":
            payload["choices"] = None
        return self._json(request, 200, payload)

    def _responses(self, request: BaseHTTPRequestHandler, body: dict[str, Any], model: str) -> None:
        """The Responses API: a text answer (JSON if a json_schema format is asked)."""
        fmt = ((body.get("text") or {}).get("format") or {}).get("type")
        text = json.dumps(WEATHER) if fmt == "json_schema" else TEXT
        response: dict[str, Any] = {
            "id": "resp_123",
            "object": "response",
            "created_at": 1700000000,
            "status": "completed",
            "model": f"{model}-2024-07-18",
            "parallel_tool_calls": True,
            "tool_choice": "auto",
            "tools": [],
            "output": [
                {
                    "type": "message",
                    "id": "msg_1",
                    "status": "completed",
                    "role": "assistant",
                    "content": [{"type": "output_text", "text": text, "annotations": []}],
                }
            ],
            "usage": {
                "input_tokens": 12,
                "output_tokens": 9,
                "total_tokens": 21,
                "input_tokens_details": {"cached_tokens": 4},
                "output_tokens_details": {"reasoning_tokens": 2},
            },
        }
        if not body.get("stream"):
            return self._json(request, 200, response)
        request.send_response(200)
        request.send_header("content-type", "text/event-stream")
        request.send_header("transfer-encoding", "chunked")
        request.end_headers()
        pending = {**response, "status": "in_progress", "output": []}
        item = response["output"][0]
        where = {"item_id": "msg_1", "output_index": 0, "content_index": 0}
        events: list[dict[str, Any]] = [
            {"type": "response.created", "response": pending},
            {
                "type": "response.output_item.added",
                "output_index": 0,
                "item": {**item, "status": "in_progress", "content": []},
            },
            {
                "type": "response.content_part.added",
                **where,
                "part": {"type": "output_text", "text": "", "annotations": []},
            },
        ]
        for part in _split(text, 5):
            events.append(
                {"type": "response.output_text.delta", **where, "delta": part, "logprobs": []}
            )
        events += [
            {"type": "response.output_text.done", **where, "text": text, "logprobs": []},
            {"type": "response.content_part.done", **where, "part": item["content"][0]},
            {"type": "response.output_item.done", "output_index": 0, "item": item},
            {"type": "response.completed", "response": response},
        ]
        for number, event in enumerate(events):
            event["sequence_number"] = number
        for event in events:
            self._write_chunk(
                request, f"event: {event['type']}\ndata: {json.dumps(event)}\n\n".encode()
            )
        self._write_chunk(request, b"")

    def _chunks(self, body: dict[str, Any], model: str, legacy: bool) -> list[dict[str, Any]]:
        pieces = int(body.get("x_chunks") or 5)
        base = {
            "id": "chatcmpl-123",
            "object": "chat.completion.chunk",
            "created": 1700000000,
            "model": f"{model}-2024-07-18",
        }
        quirk = model == "quirks"
        chunks: list[dict[str, Any]] = []
        if legacy:
            for part in _split(TEXT, pieces):
                chunks.append(
                    {**base, "choices": [{"index": 0, "text": part, "finish_reason": None}]}
                )
            chunks.append({**base, "choices": [{"index": 0, "text": "", "finish_reason": "stop"}]})
        elif model == "tools":
            for slot, call in enumerate(TOOL_CALLS):
                args = call["function"]["arguments"]
                chunks.append(
                    {
                        **base,
                        "choices": [
                            {
                                "index": 0,
                                "delta": {
                                    "role": "assistant",
                                    "tool_calls": [
                                        {
                                            "index": slot,
                                            "id": call["id"],
                                            "type": "function",
                                            "function": {
                                                "name": call["function"]["name"],
                                                "arguments": "",
                                            },
                                        }
                                    ],
                                },
                                "finish_reason": None,
                            }
                        ],
                    }
                )
                for part in _split(args, 3):
                    chunks.append(
                        {
                            **base,
                            "choices": [
                                {
                                    "index": 0,
                                    "delta": {
                                        "tool_calls": [
                                            {"index": slot, "function": {"arguments": part}}
                                        ]
                                    },
                                    "finish_reason": None,
                                }
                            ],
                        }
                    )
            chunks.append(
                {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]}
            )
        else:
            for choice in range(int(body.get("n") or 1)):
                chunks.append(
                    {
                        **base,
                        "choices": [
                            {
                                "index": None if quirk else choice,
                                "delta": {"role": "assistant", "content": ""},
                                "finish_reason": None,
                            }
                        ],
                    }
                )
                for part in _split(TEXT, pieces):
                    chunks.append(
                        {
                            **base,
                            "choices": [
                                {
                                    "index": None if quirk else choice,
                                    "delta": {"content": part},
                                    "finish_reason": None,
                                }
                            ],
                        }
                    )
                chunks.append(
                    {
                        **base,
                        "choices": [
                            {
                                "index": None if quirk else choice,
                                "delta": {},
                                "finish_reason": "stop",
                            }
                        ],
                    }
                )
        if (body.get("stream_options") or {}).get("include_usage"):
            chunks.append({**base, "choices": [], "usage": USAGE})
        return chunks

    def _stream(
        self, request: BaseHTTPRequestHandler, body: dict[str, Any], model: str, legacy: bool
    ) -> None:
        request.send_response(200)
        request.send_header("content-type", "text/event-stream")
        request.send_header("transfer-encoding", "chunked")
        request.end_headers()
        for chunk in self._chunks(body, model, legacy):
            self._write_chunk(request, f"data: {json.dumps(chunk)}\n\n".encode())
        self._write_chunk(request, b"data: [DONE]\n\n")
        self._write_chunk(request, b"")

    @staticmethod
    def _write_chunk(request: BaseHTTPRequestHandler, data: bytes) -> None:
        try:
            request.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            request.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):  # the client stopped reading
            pass

    @staticmethod
    def _json(request: BaseHTTPRequestHandler, status: int, payload: Any) -> None:
        data = json.dumps(payload).encode()
        request.send_response(status)
        request.send_header("content-type", "application/json")
        request.send_header("content-length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)
