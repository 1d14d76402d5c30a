"""Replays recorded provider traffic (VCR.py cassettes) on loopback, for any HTTP client.

openai 3.x talks through httpx2, which VCR.py cannot patch; a server on 127.0.0.1 that
answers with the recorded responses works for every SDK version. Requests are matched
by method and path (the recordings' hosts differ); interactions are served in order.
"""

from __future__ import annotations

import base64
import gzip
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

_SKIP_HEADERS = {"content-length", "transfer-encoding", "connection", "content-encoding"}


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available: ~10x


def load(path: Path) -> list[dict[str, Any]]:
    return list(yaml.load(path.read_text(), Loader=_LOADER)["interactions"])


def response_body(response: dict[str, Any]) -> bytes:
    """The recorded body, decompressed (some recordings keep the gzip bytes)."""
    body = response.get("body") or {}
    value = body.get("string", b"") if isinstance(body, dict) else body
    data = value if isinstance(value, bytes) else str(value).encode()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return data


class CassetteServer:
    def __init__(self, interactions: list[dict[str, Any]]) -> None:
        self.pending = list(interactions)
        self.unmatched: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                if length:
                    self.rfile.read(length)
                server.answer(self)

            do_POST = _serve
            do_GET = _serve

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"
        # A short poll: shutdown() waits for it, once per cassette.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    def answer(self, request: BaseHTTPRequestHandler) -> None:
        path = urlsplit(request.path).path.rsplit("/v1", 1)[-1]
        for index, interaction in enumerate(self.pending):
            recorded = urlsplit(interaction["request"]["uri"]).path
            if interaction["request"]["method"] == request.command and recorded.endswith(
                path.split("/")[-1]
            ):
                del self.pending[index]
                response = interaction["response"]
                data = response_body(response)
                request.send_response(int(response["status"]["code"]))
                for name, values in (response.get("headers") or {}).items():
                    if name.lower() not in _SKIP_HEADERS:
                        for value in values:
                            request.send_header(name, value)
                request.send_header("content-length", str(len(data)))
                request.end_headers()
                request.wfile.write(data)
                return
        self.unmatched.append(f"{request.command} {request.path}")
        request.send_response(599)
        request.send_header("content-length", "0")
        request.end_headers()

    def __enter__(self) -> CassetteServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def request_json(interaction: dict[str, Any]) -> dict[str, Any] | None:
    body = interaction["request"].get("body")
    if not body:
        return None
    text = base64.b64decode(body).decode() if isinstance(body, bytes) else str(body)
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
