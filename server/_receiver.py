"""``spanwise server``: an OTLP trace receiver (HTTP and gRPC) writing into the store.

HTTP (uvicorn + Starlette): ``POST /v1/traces`` with ``application/x-protobuf`` or
``application/json``, optionally gzip (every member) or deflate. gRPC (grpcio): the OTLP
``TraceService/Export`` method. Every span goes through translation-in into the store.

Answers follow OTLP. 200, with ``partial_success`` naming the spans that were refused
one by one (malformed, or a value the store cannot take); their neighbours are stored.
400 / INVALID_ARGUMENT malformed request, 401 / UNAUTHENTICATED token (checked before
the body is decoded), 404, 405, 408 body stopped arriving, 413 too large, 415 content
type or encoding; 429 / RESOURCE_EXHAUSTED too much in flight and 503 /
UNAVAILABLE store in trouble, both with a retry hint (``Retry-After: 1``, RetryInfo), so
nothing is lost. Error bodies are a ``google.rpc.Status`` in the request's encoding.
A body left unread by an early answer is drained (or, past twice the size limit, the
connection is closed), never read as a next request.

Limits (constructor parameters, defaults in brackets; H: OTLP/HTTP, G: OTLP/gRPC):

- ``max_bytes`` [32 MiB] (H, G): one request, compressed and decompressed.
- ``max_bytes_in_flight`` [64 MiB] (H, G, shared): request bytes held at once, a
  decompressed body counted too. A request that would pass it is answered 429 /
  RESOURCE_EXHAUSTED at once (a request alone may use it all). The process's memory
  peak is a few times this: decoded spans cost more than their bytes.
- ``max_connections`` [1024] (H): open connections; one more is answered 503 and closed.
- ``read_timeout`` [10 s] (H): the time to send a request's head (and to finish sending
  a body answered early); the longest silence while a body is read, then 408 and the
  connection is closed. A connection waiting costs a socket, never a thread.
- ``keep_alive_timeout`` [30 s] (H): an idle keep-alive connection is closed after it.
- ``backlog`` [1024] (H): connections waiting to be accepted (the kernel caps it at
  ``net.core.somaxconn``). gRPC's is grpc-core's.
- ``workers`` [4] (H, G): threads decoding and writing, per protocol; writes to the
  store are one at a time.
- ``max_concurrent_rpcs`` [64] (G): calls at once, queued included; more are answered
  RESOURCE_EXHAUSTED by grpcio. gRPC connections are grpc-core's (HTTP/2 flow control,
  no thread per connection).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from starlette.routing import BaseRoute

from ._grpc import start_grpc
from ._http import HttpServer, build_app
from ._ingest import Ingest, ReceiverStats, Sink

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_BYTES_IN_FLIGHT",
    "BindError",
    "Receiver",
    "ReceiverStats",
]

DEFAULT_MAX_BYTES = 32 * 1024 * 1024
DEFAULT_MAX_BYTES_IN_FLIGHT = 64 * 1024 * 1024


class BindError(OSError):
    """A port that cannot be bound; ``protocol`` is "http" or "grpc"."""

    def __init__(self, protocol: str, address: str, reason: str) -> None:
        name = {"http": "HTTP", "grpc": "gRPC"}[protocol]
        super().__init__(f"cannot listen for OTLP/{name} on {address}: {reason}")
        self.protocol = protocol


def _check_port(name: str, port: int | None) -> None:
    if port is not None and not 0 <= port <= 65535:
        raise ValueError(f"{name} must be 0-65535 (0: any free port), not {port}")


class Receiver:
    """Receives OTLP traces and hands the decoded span records to ``sink`` (normally
    ``SqlTraceStore.write_records``). ``start()`` binds (port 0: a free one, then read
    ``http_port`` / ``grpc_port``); ``start()`` and ``stop()`` are idempotent; a context
    manager. The limits are described in this module's docstring."""

    def __init__(
        self,
        sink: Sink,
        *,
        host: str = "127.0.0.1",
        http_port: int | None = 4318,
        grpc_port: int | None = 4317,
        token: str | None = None,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_bytes_in_flight: int = DEFAULT_MAX_BYTES_IN_FLIGHT,
        max_connections: int = 1024,
        read_timeout: float = 10.0,
        keep_alive_timeout: float = 30.0,
        backlog: int = 1024,
        workers: int = 4,
        max_concurrent_rpcs: int = 64,
        extra_routes: Sequence[BaseRoute] = (),
    ) -> None:
        _check_port("http_port", http_port)
        _check_port("grpc_port", grpc_port)
        self.host = host
        self.http_port = http_port
        self.grpc_port = grpc_port
        self.max_bytes = max_bytes
        self._ingest = Ingest(sink, token, max_bytes, max_bytes_in_flight)
        self._max_connections = max_connections
        self._read_timeout = read_timeout
        self._keep_alive_timeout = keep_alive_timeout
        self._backlog = backlog
        self._workers = workers
        self._max_rpcs = max_concurrent_rpcs
        self._extra_routes = tuple(extra_routes)
        self._pool: ThreadPoolExecutor | None = None
        self._http: HttpServer | None = None
        self._grpc: Any = None
        self._state_lock = threading.Lock()
        self._started = False
        self._stopped = False

    @property
    def stats(self) -> ReceiverStats:
        return self._ingest.stats

    def start(self) -> Receiver:
        """Bind and serve. Raises OSError naming the address when a port cannot be bound
        (nothing is left running)."""
        with self._state_lock:
            if self._started:
                return self
            self._started = True
            try:
                if self.http_port is not None:
                    self._start_http(self.http_port)
                if self.grpc_port is not None:
                    self._start_grpc(self.grpc_port)
            except BaseException:
                self._shutdown(0.5)
                raise
        return self

    def _start_http(self, port: int) -> None:
        self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="spanwise-otlp-http")
        app = build_app(
            self._ingest,
            read_timeout=self._read_timeout,
            pool=self._pool,
            extra_routes=self._extra_routes,
        )
        self._http = HttpServer(
            app,
            self.host,
            port,
            max_connections=self._max_connections,
            read_timeout=self._read_timeout,
            keep_alive_timeout=self._keep_alive_timeout,
            backlog=self._backlog,
            on_refused=lambda: self._ingest.count("throttled"),
        )
        try:
            self.http_port = self._http.start()
        except (OSError, OverflowError) as exc:  # OverflowError: a port out of range
            reason = getattr(exc, "strerror", None) or str(exc)
            raise BindError("http", f"{self.host}:{port}", reason) from None

    def _start_grpc(self, port: int) -> None:
        try:
            self._grpc, self.grpc_port = start_grpc(
                self._ingest,
                self.host,
                port,
                workers=self._workers,
                max_concurrent_rpcs=self._max_rpcs,
            )
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise BindError("grpc", f"{self.host}:{port}", reason) from None

    def stop(self, grace: float = 2.0) -> None:
        """Stop serving, letting requests in progress finish for up to ``grace`` seconds."""
        with self._state_lock:
            if self._stopped or not self._started:
                self._stopped = True
                return
            self._stopped = True
            self._shutdown(grace)

    def _shutdown(self, grace: float) -> None:
        if self._http is not None:
            self._http.stop(grace)
        if self._grpc is not None:
            self._grpc.stop(grace).wait(grace + 5)
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)

    def __enter__(self) -> Receiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
