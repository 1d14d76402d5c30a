"""A local Amazon Bedrock Runtime endpoint (Converse, ConverseStream, InvokeModel,
InvokeModelWithResponseStream) for the tests and benchmarks.

``FakeBedrock().start()`` serves on 127.0.0.1 (a free port, a daemon thread);
``python fake_bedrock.py`` runs it as its own process. Point boto3 at it with
``boto3.client("bedrock-runtime", endpoint_url=fake.base_url, region_name="us-east-1",
aws_access_key_id=..., aws_secret_access_key=...)``: the real botocore stack signs the
request, sends it over HTTP and parses the JSON or the AWS event-stream binary framing
(``frame()`` encodes it: prelude, headers, payload, CRC32s) that comes back.

The model id picks the scenario: ``error-throttle`` (429 ThrottlingException),
``error-validation`` (400 ValidationException), ``error-unmodeled`` (400 with a code the
service model does not know), ``error-500`` (500 InternalServerException),
``stream-error`` (streamed: some text, then a ``modelStreamErrorException`` event),
``cache`` (Converse usage with cache reads and writes). Converse with ``toolConfig``
and no ``toolResult`` yet calls the first tool (``{"city": "Paris"}``); given a tool
result it answers from it; else it answers with text. ``invoke_model`` answers in the
family's own body format, from the model id: anthropic, amazon nova / titan text /
titan-embed, meta llama, mistral (text, or chat when the body has messages), cohere
command-r / command / embed; anything else gets ``{"ok": true}``. Streams send the text
in 5 pieces (``N`` for a model id ending ``@N``). Every invoke_model answer carries
Bedrock's token-count headers, every invoke stream's last chunk
``amazon-bedrock-invocationMetrics``.
"""

from __future__ import annotations

import base64
import binascii
import json
import struct
from typing import Any
from urllib.parse import unquote

from fake_server import FakeServer, serve_forever

TEXT = "The weather in Paris is sunny, 21 degrees."
USAGE = {"inputTokens": 12, "outputTokens": 9, "totalTokens": 21}
CACHE_USAGE = {**USAGE, "cacheReadInputTokens": 32, "cacheWriteInputTokens": 8, "totalTokens": 61}
METRICS = {
    "inputTokenCount": 12,
    "outputTokenCount": 9,
    "invocationLatency": 5,
    "firstByteLatency": 2,
}
DIMENSION = 8
ERRORS = {
    "error-throttle": (429, "ThrottlingException", "Too many requests, please wait."),
    "error-validation": (400, "ValidationException", "Malformed input request."),
    "error-unmodeled": (400, "BrandNewException", "Something new went wrong."),
    "error-500": (500, "InternalServerException", "An internal server error occurred."),
}
# Fake credentials the tests plant and then search for in every exported byte: the
# session token is a secret boto3 sends as a header, the secret key signs and is never sent.
CANARY_KEY = "bedrock-canary-session-token-5a2b-do-not-leak"
ACCESS_KEY = "AKIAFAKECANARY000001"
SECRET_KEY = "bedrock-canary-secret-7d1f0c9e-do-not-leak"
EVENTSTREAM = "application/vnd.amazon.eventstream"
Answer = tuple[int, dict[str, str], bytes]


def frame(headers: dict[str, str], payload: bytes) -> bytes:
    """One AWS event-stream message (string headers only)."""
    encoded = b"".join(
        bytes([len(k)]) + k.encode() + b"\x07" + struct.pack(">H", len(v)) + v.encode()
        for k, v in headers.items()
    )
    prelude = struct.pack(">II", 16 + len(encoded) + len(payload), len(encoded))
    message = prelude + struct.pack(">I", binascii.crc32(prelude)) + encoded + payload
    return message + struct.pack(">I", binascii.crc32(message))


def event(kind: str, payload: dict[str, Any]) -> bytes:
    headers = {":event-type": kind, ":content-type": "application/json", ":message-type": "event"}
    return frame(headers, json.dumps(payload).encode())


def exception(code: str, message: str) -> bytes:
    headers = {
        ":exception-type": code,
        ":content-type": "application/json",
        ":message-type": "exception",
    }
    return frame(headers, json.dumps({"message": message}).encode())


def chunk(body: dict[str, Any]) -> bytes:
    """An invoke_model_with_response_stream event: the model's JSON chunk, base64."""
    return event("chunk", {"bytes": base64.b64encode(json.dumps(body).encode()).decode()})


def _pieces(model: str, text: str = TEXT) -> list[str]:
    count = int(model.rpartition("@")[2]) if "@" in model else 5
    size = max(1, -(-len(text) // count))
    return [text[i : i + size] for i in range(0, len(text), size)]


def _json(status: int, body: Any, **headers: str) -> Answer:
    return status, {"content-type": "application/json", **headers}, json.dumps(body).encode()


# -- Converse ----------------------------------------------------------------------------


def _tool_call(body: dict[str, Any]) -> dict[str, Any] | None:
    """The tool to call: offered tools and no tool result yet."""
    tools = (body.get("toolConfig") or {}).get("tools") or []
    spec = next((t["toolSpec"] for t in tools if "toolSpec" in t), None)
    answered = any("toolResult" in b for m in body.get("messages", []) for b in m["content"])
    if spec is None or answered:
        return None
    return {"toolUseId": "tooluse_fake01", "name": spec["name"], "input": {"city": "Paris"}}


def converse(model: str, body: dict[str, Any]) -> Answer:
    call = _tool_call(body)
    content: list[dict[str, Any]] = [{"text": TEXT}] if call is None else [{"toolUse": call}]
    answer = {
        "output": {"message": {"role": "assistant", "content": content}},
        "stopReason": "tool_use" if call else "end_turn",
        "usage": CACHE_USAGE if "cache" in model else USAGE,
        "metrics": {"latencyMs": 5},
    }
    return _json(200, answer)


def converse_stream(model: str, body: dict[str, Any]) -> list[bytes]:
    call = _tool_call(body)
    out = [event("messageStart", {"role": "assistant"})]
    if call is None:
        for piece in _pieces(model):
            out.append(
                event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": piece}})
            )
    else:
        start = {"toolUse": {"toolUseId": call["toolUseId"], "name": call["name"]}}
        out.append(event("contentBlockStart", {"contentBlockIndex": 0, "start": start}))
        for piece in ('{"ci', 'ty": "Par', 'is"}'):
            delta = {"toolUse": {"input": piece}}
            out.append(event("contentBlockDelta", {"contentBlockIndex": 0, "delta": delta}))
    if "stream-error" in model:
        return [*out[:3], exception("modelStreamErrorException", "The model stream failed.")]
    out.append(event("contentBlockStop", {"contentBlockIndex": 0}))
    out.append(event("messageStop", {"stopReason": "tool_use" if call else "end_turn"}))
    usage = CACHE_USAGE if "cache" in model else USAGE
    out.append(event("metadata", {"usage": usage, "metrics": {"latencyMs": 5}}))
    return out


# -- InvokeModel: each family's body ------------------------------------------------------


def _family(model: str, body: dict[str, Any]) -> str:
    for key in ("titan-embed", "cohere.embed", "cohere.command-r", "cohere.command"):
        if key in model:
            return key
    for key in ("anthropic", "nova", "titan", "llama", "mistral"):
        if key in model:
            return "mistral-chat" if key == "mistral" and "messages" in body else key
    return "other"


def invoke_body(family: str) -> dict[str, Any]:
    usage = {"input_tokens": 12, "output_tokens": 9}
    bodies: dict[str, dict[str, Any]] = {
        "anthropic": {
            "id": "msg_bdrk_fake01", "type": "message", "role": "assistant",
            "model": "claude-3-haiku-20240307", "content": [{"type": "text", "text": TEXT}],
            "stop_reason": "end_turn", "usage": usage,
        },
        "nova": {
            "output": {"message": {"role": "assistant", "content": [{"text": TEXT}]}},
            "stopReason": "end_turn",
            "usage": {"inputTokens": 12, "outputTokens": 9, "cacheReadInputTokenCount": 0},
        },
        "titan": {
            "inputTextTokenCount": 12,
            "results": [{"tokenCount": 9, "outputText": TEXT, "completionReason": "FINISH"}],
        },
        "titan-embed": {"embedding": [0.1] * DIMENSION, "inputTextTokenCount": 5},
        "llama": {
            "generation": TEXT, "prompt_token_count": 12, "generation_token_count": 9,
            "stop_reason": "stop",
        },
        "mistral": {"outputs": [{"text": TEXT, "stop_reason": "stop"}]},
        "mistral-chat": {
            "id": "mistral-fake01", "object": "chat.completion", "model": "mistral-large",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": TEXT},
                         "stop_reason": "stop"}],
        },
        "cohere.command-r": {
            "response_id": "cohere-fake01", "text": TEXT, "generation_id": "g1",
            "finish_reason": "COMPLETE", "meta": {"billed_units": usage},
        },
        "cohere.command": {
            "id": "cohere-text-fake01", "prompt": "p",
            "generations": [{"id": "g1", "text": TEXT, "finish_reason": "COMPLETE"}],
        },
        "cohere.embed": {
            "id": "cohere-embed-fake01", "response_type": "embeddings_floats",
            "embeddings": [[0.2] * DIMENSION], "texts": ["hello"],
        },
    }  # fmt: skip
    return bodies.get(family, {"ok": True})


def invoke_chunks(family: str, model: str) -> list[dict[str, Any]]:
    """The family's stream chunks (the last one gets the invocation metrics)."""
    pieces = _pieces(model)
    if family == "anthropic":
        start = {
            "id": "msg_bdrk_fake01",
            "model": "claude-3-haiku-20240307",
            "role": "assistant",
            "usage": {"input_tokens": 12, "output_tokens": 1},
        }
        block = {"type": "text", "text": ""}
        deltas = [{"type": "text_delta", "text": p} for p in pieces]
        end = {"stop_reason": "end_turn"}
        return [
            {"type": "message_start", "message": start},
            {"type": "content_block_start", "index": 0, "content_block": block},
            *({"type": "content_block_delta", "index": 0, "delta": d} for d in deltas),
            {"type": "content_block_stop", "index": 0},
            {"type": "message_delta", "delta": end, "usage": {"output_tokens": 9}},
            {"type": "message_stop"},
        ]
    if family == "nova":
        return [
            {"messageStart": {"role": "assistant"}},
            *(
                {"contentBlockDelta": {"delta": {"text": p}, "contentBlockIndex": 0}}
                for p in pieces
            ),
            {"contentBlockStop": {"contentBlockIndex": 0}},
            {"messageStop": {"stopReason": "end_turn"}},
            {"metadata": {"usage": {"inputTokens": 12, "outputTokens": 9}}},
        ]
    if family == "titan":
        last = len(pieces) - 1
        return [
            {"outputText": p, "index": 0, "totalOutputTextTokenCount": 9 if i == last else i + 1,
             "completionReason": "FINISH" if i == last else None,
             "inputTextTokenCount": 12 if i == 0 else None}
            for i, p in enumerate(pieces)
        ]  # fmt: skip
    if family == "llama":
        last = len(pieces) - 1
        return [
            {"generation": p, "prompt_token_count": 12 if i == 0 else None,
             "generation_token_count": 9 if i == last else i + 1,
             "stop_reason": "stop" if i == last else None}
            for i, p in enumerate(pieces)
        ]  # fmt: skip
    if family == "mistral":
        last = len(pieces) - 1
        return [
            {"outputs": [{"text": p, "stop_reason": "stop" if i == last else None}]}
            for i, p in enumerate(pieces)
        ]
    if family == "mistral-chat":
        last = len(pieces) - 1
        return [
            {"choices": [{"index": 0, "message": {"role": "assistant", "content": p},
                          "stop_reason": "stop" if i == last else None}]}
            for i, p in enumerate(pieces)
        ]  # fmt: skip
    if family == "cohere.command-r":
        final = {
            "response_id": "cohere-fake01",
            "text": TEXT,
            "finish_reason": "COMPLETE",
            "meta": {"billed_units": {"input_tokens": 12, "output_tokens": 9}},
        }
        return [
            {"is_finished": False, "event_type": "stream-start", "generation_id": "g1"},
            *({"is_finished": False, "event_type": "text-generation", "text": p} for p in pieces),
            {"is_finished": True, "event_type": "stream-end", "finish_reason": "COMPLETE",
             "response": final},
        ]  # fmt: skip
    return [{"ok": True}]


def invoke_stream(model: str, body: dict[str, Any]) -> list[bytes]:
    chunks = invoke_chunks(_family(model, body), model)
    chunks[-1] = {**chunks[-1], "amazon-bedrock-invocationMetrics": METRICS}
    frames = [chunk(c) for c in chunks]
    if "stream-error" in model:
        return [*frames[:3], exception("modelStreamErrorException", "The model stream failed.")]
    return frames


# -- the server -----------------------------------------------------------------------------


def respond(path: str, body: dict[str, Any]) -> Answer:
    """The whole behaviour: ``/model/<id>/<operation>`` and the request's JSON."""
    _, _, rest = path.partition("/model/")
    model_id, _, operation = rest.rpartition("/")
    model = unquote(model_id)
    for key, (status, code, message) in ERRORS.items():
        if key in model:
            return _json(status, {"message": message}, **{"x-amzn-errortype": f"{code}:http://x"})
    if operation == "converse":
        return converse(model, body)
    if operation == "converse-stream":
        return 200, {"content-type": EVENTSTREAM}, b"".join(converse_stream(model, body))
    if operation == "invoke":
        family = _family(model, body)
        counts = {
            "x-amzn-bedrock-input-token-count": "12",
            "x-amzn-bedrock-output-token-count": "9",
        }
        return _json(200, invoke_body(family), **counts)
    if operation == "invoke-with-response-stream":
        headers = {"content-type": EVENTSTREAM, "x-amzn-bedrock-content-type": "application/json"}
        return 200, headers, b"".join(invoke_stream(model, body))
    return _json(
        404,
        {"message": f"unknown operation {operation}"},
        **{"x-amzn-errortype": "UnknownOperationException"},
    )


class FakeBedrock(FakeServer):
    """:func:`respond` over HTTP on 127.0.0.1; ``requests`` keeps each path, headers, body."""

    def __init__(self) -> None:
        super().__init__(respond, headers={"x-amzn-requestid": "fake-request-id"})


if __name__ == "__main__":
    serve_forever(FakeBedrock)
