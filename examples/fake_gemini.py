"""A local Gemini API endpoint (generateContent, streamed and not, embeddings) for the
tests and benchmarks.

``respond(path, body)`` is the whole behaviour, served by ``FakeGemini`` (HTTP on
127.0.0.1, a free port, a daemon thread; ``python fake_gemini.py`` runs it as its own
process). Its ``base_url`` is the client's ``http_options={"base_url": ...}``: the SDK
puts ``/v1beta/models/<model>:<method>`` (Gemini API) or
``/v1beta1/projects/<p>/locations/<l>/publishers/google/models/<model>:<method>``
(Vertex AI) after it.

Methods: ``generateContent``, ``streamGenerateContent`` (server-sent events),
``batchEmbedContents`` (Gemini API embeddings) and ``predict`` (Vertex AI embeddings).
The model name picks the scenario: ``error-400``, ``error-401``, ``error-429``,
``error-500`` (Google's error JSON), ``stream-error`` (streamed: the connection ends
after some text with an error event), ``thinking`` (a thought part before the answer,
with thoughts and cached token counts in the usage), ``slow`` (sleeps 2 s; the model is
read from the body only, so only the benchmark's fake uses it). Any other model behaves
like a tool-using assistant: offered function declarations and no function response in
the contents yet, it calls the first function (each required string property set to
"Paris"); given a function response, it answers from it; else it answers with text.
Streams send the text in 5 pieces (``N`` for a model named ``name@N``), the last with
the finish reason and the usage.
"""

from __future__ import annotations

import json
import re
from typing import Any

from fake_server import Answer, FakeServer, serve_forever

# A fake API key the tests plant and then search for in every exported byte.
CANARY_KEY = "gemini-canary-3f9d1c7e-do-not-leak"
TEXT = "Hello! The weather in Paris is sunny, 21 degrees."
THOUGHT = "The user wants the weather. Paris is sunny today, so I will say that."
RESPONSE_ID = "fake0gemini0response0id1"
USAGE = {"promptTokenCount": 12, "candidatesTokenCount": 9, "totalTokenCount": 21}
THINKING_USAGE = {
    "promptTokenCount": 40,
    "candidatesTokenCount": 9,
    "thoughtsTokenCount": 25,
    "cachedContentTokenCount": 32,
    "totalTokenCount": 74,
}
DIMENSION = 8
ERRORS = {
    "error-400": (400, "INVALID_ARGUMENT", "Request contains an invalid argument."),
    "error-401": (401, "UNAUTHENTICATED", "API key not valid. Please pass a valid API key."),
    "error-429": (429, "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota)."),
    "error-500": (500, "INTERNAL", "An internal error has occurred."),
}
_PATH = re.compile(r"models/(?P<model>[^/:]+):(?P<method>\w+)")


def _split(text: str, pieces: int) -> list[str]:
    size = max(1, -(-len(text) // pieces))
    return [text[i : i + size] for i in range(0, len(text), size)]


def _json(status: int, payload: Any) -> Answer:
    return status, "application/json", json.dumps(payload).encode()


def _error(status: int, kind: str, message: str) -> Answer:
    return _json(status, {"error": {"code": status, "message": message, "status": kind}})


def respond(path: str, body: dict[str, Any]) -> Answer:
    """The answer to one request."""
    found = _PATH.search(path.split("?", maxsplit=1)[0])
    if found is None:
        return _error(404, "NOT_FOUND", f"Not found: {path}")
    model, method = found["model"], found["method"]
    if model in ERRORS:
        return _error(*ERRORS[model])
    if method == "batchEmbedContents":
        count = len(body.get("requests") or [])
        return _json(200, {"embeddings": [{"values": _vector(i)} for i in range(count)]})
    if method == "predict":
        count = len(body.get("instances") or [])
        stats = {"token_count": 3, "truncated": False}
        predictions = [
            {"embeddings": {"values": _vector(i), "statistics": stats}} for i in range(count)
        ]
        return _json(200, {"predictions": predictions, "metadata": {"billableCharacterCount": 9}})
    candidate_parts = _parts(body, model)
    usage = THINKING_USAGE if model.startswith("thinking") else USAGE
    if method == "generateContent":
        return _json(200, _response(model, candidate_parts, "STOP", usage))
    if method != "streamGenerateContent":
        return _error(404, "NOT_FOUND", f"Unknown method {method}")
    pieces = model.rpartition("@")[2]
    return _sse(_chunks(model, candidate_parts, usage, int(pieces) if pieces.isdigit() else 5))


def _vector(index: int) -> list[float]:
    return [0.125 * (index + 1)] * DIMENSION


def _parts(body: dict[str, Any], model: str) -> list[dict[str, Any]]:
    contents = body.get("contents") or []
    results = [
        p["functionResponse"]
        for c in contents
        for p in c.get("parts") or []
        if "functionResponse" in p
    ]
    declarations = [d for t in body.get("tools") or [] for d in t.get("functionDeclarations") or []]
    if declarations and not results:
        schema = declarations[0].get("parameters") or {}
        props = schema.get("properties") or {}
        required = schema.get("required") or []
        args = {
            n: "Paris" for n in required if str(props.get(n, {}).get("type")).lower() == "string"
        }
        return [{"functionCall": {"name": declarations[0].get("name", ""), "args": args}}]
    text = f"Here is what I found: {json.dumps(results[-1].get('response'))}" if results else TEXT
    if model.startswith("thinking"):
        return [{"text": THOUGHT, "thought": True}, {"text": text}]
    return [{"text": text}]


def _response(
    model: str, candidate_parts: list[dict[str, Any]], finish: str | None, usage: Any
) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": candidate_parts}, "index": 0}
    if finish:
        candidate["finishReason"] = finish
    response: dict[str, Any] = {
        "candidates": [candidate],
        "modelVersion": model.partition("@")[0],
        "responseId": RESPONSE_ID,
    }
    if usage:
        response["usageMetadata"] = usage
    return response


def _chunks(
    model: str, candidate_parts: list[dict[str, Any]], usage: Any, pieces: int
) -> list[Any]:
    out: list[Any] = []
    for part in candidate_parts:
        if "text" not in part:
            out.append(_response(model, [part], None, None))
            continue
        for piece in _split(part["text"], pieces):
            out.append(_response(model, [{**part, "text": piece}], None, None))
    last = out.pop()
    out.append(
        {**last, **_response(model, last["candidates"][0]["content"]["parts"], "STOP", usage)}
    )
    if model.startswith("stream-error"):
        error = {
            "error": {"code": 503, "message": "The model is overloaded.", "status": "UNAVAILABLE"}
        }
        return [*out[:2], error]
    return out


def _sse(events: list[Any]) -> Answer:
    text = "".join(f"data: {json.dumps(e)}\r\n\r\n" for e in events)
    return 200, "text/event-stream", text.encode()


def vertex_client(base_url: str) -> Any:
    """A google-genai client on Vertex AI (``gcp.vertex_ai``), a fixed token: no login."""
    from google import genai
    from google.oauth2.credentials import Credentials

    return genai.Client(
        vertexai=True,
        project="test-project",
        location="test-location",
        credentials=Credentials(token="test-token"),  # pyright: ignore[reportUnknownArgumentType]
        http_options={"base_url": base_url},
    )


def sdk_reads(model: str, name: str) -> bool:
    """Whether the installed SDK's ``types.<model>`` has the field ``name`` (older SDKs
    drop the fields they do not know: response ids, thoughts token counts)."""
    from google.genai import types

    return name in getattr(types, model).model_fields


class FakeGemini(FakeServer):
    """``respond`` over HTTP on 127.0.0.1; keeps every request's headers and body."""

    def __init__(self) -> None:
        super().__init__(respond, "")


if __name__ == "__main__":  # its own process, sharing no GIL with a benchmark
    serve_forever(FakeGemini)
