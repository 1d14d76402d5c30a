"""The loopback HTTP server the fake providers share: a provider is its ``respond``.

``FakeServer(respond, path)`` serves ``respond(path, body) -> (status, content type,
body)`` on 127.0.0.1 (a free port, a daemon thread), keeps every request's path, headers
and body, and sleeps 2 s for the model ``slow``. ``serve_forever(make)`` runs one as its
own process (``python fake_openai.py``), sharing no GIL with a benchmark;
``mock_client(respond)`` serves it in process.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# status, content type (or every header of the answer, as a mapping), body
Answer = tuple[int, "str | dict[str, str]", bytes]
Respond = Callable[[str, dict[str, Any]], Answer]


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that stops reading a stream early is expected here, not an error.
        pass


class FakeServer:
    """``respond`` over HTTP on 127.0.0.1; ``base_url`` is the server plus ``path``."""

    def __init__(
        self, respond: Respond, path: str = "", headers: dict[str, str] | None = None
    ) -> None:
        self.requests: list[dict[str, Any]] = []
        server = self
        extra = dict(headers or {})

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                try:
                    body: Any = json.loads(self.rfile.read(length) or b"{}")
                except ValueError:  # a body that is not JSON reaches respond as {}
                    body = {}
                record = {"path": self.path, "headers": dict(self.headers), "body": body}
                server.requests.append(record)
                request = body if isinstance(body, dict) else {}
                if request.get("model") == "slow":
                    time.sleep(2)
                status, head, data = respond(self.path, request)
                answer = {"content-type": head} if isinstance(head, str) else head
                try:
                    self.send_response(status)
                    for name, value in {**answer, **extra}.items():
                        self.send_header(name, value)
                    self.send_header("content-length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self._server = _QuietServer(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}{path}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self) -> Any:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def mock_client(respond: Respond, headers: dict[str, str] | None = None) -> Any:
    """An httpx client that gets ``respond``'s answers in process (``http_client=``): no
    socket, no server thread. httpx2 where the SDK uses it (openai 3.x, anthropic 2.x)."""
    try:
        import httpx2 as httpx
    except ImportError:
        import httpx  # type: ignore[no-redef]

    extra = dict(headers or {})

    def handler(request: Any) -> Any:
        status, head, data = respond(request.url.path, json.loads(request.content or b"{}"))
        answer = {"content-type": head} if isinstance(head, str) else head
        return httpx.Response(status, headers={**answer, **extra}, content=data)

    return httpx.Client(transport=httpx.MockTransport(handler))


def serve_forever(make: Callable[[], FakeServer]) -> None:
    """Run a fake as its own process: print its base URL, stop on SIGTERM."""
    import signal
    import sys

    fake = make().start()
    print(fake.base_url, flush=True)
    signal.signal(signal.SIGTERM, lambda *_: (fake.stop(), sys.exit(0)))
    signal.pause()
