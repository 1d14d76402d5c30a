"""OTLP/HTTP on Starlette, served by uvicorn in a thread of its own.

``build_app`` is the ASGI app (``POST /v1/traces``, health at ``/health``); other routes
(the viewer) join it through ``extra_routes``. ``HttpServer`` runs it on a socket bound
up front (so a port taken or out of range fails in ``start()``), with uvicorn's h11
protocol extended by what uvicorn leaves out: a bound on connections and a deadline for
a request's head. The body is read here with a per-read timeout and the size bounds.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
import zlib
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, cast

import uvicorn
from google.rpc.status_pb2 import Status
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from uvicorn.protocols.http.h11_impl import H11Protocol, RequestResponseCycle

from spanwise.common._safety import report_internal_error

from ._ingest import INTERNAL, UNAUTHENTICATED, Held, Ingest, RequestError, logger

__all__ = ["HttpServer", "build_app"]

_PROTOBUF = "application/x-protobuf"
_JSON = "application/json"
# Sent to a connection over max_connections, before closing it.
_BUSY_TEXT = b"too many connections; retry shortly"
_BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Type: text/plain\r\n"
    b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(_BUSY_TEXT), _BUSY_TEXT)
)


def _decompress(body: bytes, encoding: str, limit: int) -> bytes:
    """The body inflated, every gzip member of it (``cat a.gz b.gz`` is one valid gzip
    stream), never more than ``limit`` bytes."""
    if encoding in ("", "identity"):
        return body
    if encoding not in ("gzip", "deflate"):
        raise RequestError(415, f"unsupported Content-Encoding {encoding!r} (gzip, deflate)")
    out = bytearray()
    rest = body
    try:
        while True:
            inflater = zlib.decompressobj(wbits=31 if encoding == "gzip" else 15)
            out += inflater.decompress(rest, limit + 1 - len(out))
            if len(out) > limit or inflater.unconsumed_tail:
                raise RequestError(413, f"the decompressed body exceeds {limit} bytes")
            if not inflater.eof:
                raise RequestError(400, f"truncated {encoding} body")
            rest = inflater.unused_data
            if not rest:
                return bytes(out)
            if encoding == "deflate":
                raise RequestError(400, "bytes after the end of the deflate body")
    except zlib.error as exc:
        raise RequestError(400, f"bad {encoding} body: {exc}") from None


def _answer(exc: RequestError, as_json: bool) -> Response:
    if as_json:
        body = json.dumps({"code": exc.grpc_code, "message": str(exc)}).encode()
    else:
        body = Status(code=exc.grpc_code, message=str(exc)).SerializeToString()
    headers: dict[str, str] = {}
    if exc.status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    if exc.status in (429, 503):
        headers["Retry-After"] = "1"
    if exc.close:  # uvicorn closes after answering instead of draining the body
        headers["Connection"] = "close"
    return Response(body, exc.status, headers, _JSON if as_json else _PROTOBUF)


class _ClientGone(Exception):
    pass


class _Traces:
    """``POST /v1/traces``: checks in order of cost (path, token, type, size, budget),
    then the body, then decode and write in a worker thread."""

    def __init__(self, ingest: Ingest, read_timeout: float, pool: ThreadPoolExecutor) -> None:
        self.ingest = ingest
        self.read_timeout = read_timeout
        self.pool = pool

    async def handle(self, request: Request) -> Response:
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        as_json = kind == _JSON
        held = Held(self.ingest.budget)
        try:
            if not self.ingest.authorized(request.headers.get("authorization")):
                raise RequestError(401, "missing or wrong bearer token", UNAUTHENTICATED)
            if kind not in (_PROTOBUF, _JSON):
                raise RequestError(
                    415, f"Content-Type must be {_PROTOBUF} or {_JSON}, not {kind or 'none'!r}"
                )
            declared = self._declared(request)
            if declared is not None:
                held.take(declared)
            body = await self._body(request, declared, held)
            encoding = request.headers.get("content-encoding", "").strip().lower()
            loop = asyncio.get_running_loop()
            response = await loop.run_in_executor(self.pool, self._work, body, encoding, as_json)
        except RequestError as exc:
            if exc.status == 429:
                self.ingest.count("throttled")
            elif exc.status != 503:  # a 503 is counted as a failed write
                self.ingest.count("bad_requests")
            return _answer(exc, as_json)
        except _ClientGone:
            logger.info("spanwise server: a client went away before sending its whole request")
            return Response(status_code=400)  # nobody reads it
        except Exception as exc:  # a bug of ours: logged once, the client may retry
            report_internal_error("the OTLP/HTTP receiver", exc)
            return _answer(RequestError(500, "internal error", INTERNAL), as_json)
        finally:
            held.release()
        if as_json:
            payload: dict[str, Any] = {}
            if response.HasField("partial_success"):
                payload["partialSuccess"] = {
                    "rejectedSpans": str(response.partial_success.rejected_spans),
                    "errorMessage": response.partial_success.error_message,
                }
            return Response(json.dumps(payload), 200, media_type=_JSON)
        return Response(response.SerializeToString(), 200, media_type=_PROTOBUF)

    def _declared(self, request: Request) -> int | None:
        length = request.headers.get("content-length")
        if length is None:
            return None  # chunked: counted as it arrives
        size = int(length)  # h11 has checked it is a number
        limit = self.ingest.max_bytes
        if size > limit:
            # Draining a body not far past the limit lets the client (still sending) read
            # the 413; a larger one is not worth reading: answer and close.
            raise RequestError(
                413, f"the body is {size} bytes; the limit is {limit}", close=size > 2 * limit
            )
        return size

    async def _body(self, request: Request, declared: int | None, held: Held) -> bytes:
        body = bytearray()
        while True:
            try:
                message = await asyncio.wait_for(request.receive(), self.read_timeout)
            except asyncio.TimeoutError:
                raise RequestError(
                    408,
                    f"the body stopped arriving: {len(body)} of "
                    f"{'?' if declared is None else declared} bytes, then nothing for "
                    f"{self.read_timeout:g} s",
                    close=True,
                ) from None
            if message["type"] == "http.disconnect":
                raise _ClientGone
            chunk: bytes = message.get("body", b"")
            body += chunk
            if declared is None:
                if len(body) > self.ingest.max_bytes:
                    raise RequestError(
                        413, f"the body exceeds {self.ingest.max_bytes} bytes", close=True
                    )
                held.take(len(chunk))  # 429: uvicorn drains the rest
            if not message.get("more_body", False):
                return bytes(body)

    def _work(self, body: bytes, encoding: str, as_json: bool) -> ExportTraceServiceResponse:
        inflated = _decompress(body, encoding, self.ingest.max_bytes)
        if inflated is body:
            return self.ingest.write(self.ingest.decode(body, as_json))
        self.ingest.budget.take(len(inflated))
        try:
            return self.ingest.write(self.ingest.decode(inflated, as_json))
        finally:
            self.ingest.budget.give(len(inflated))


async def _health(request: Request) -> Response:
    return Response(b'{"status":"ok"}', 200, media_type=_JSON)


async def _not_routed(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if status == 405:
        message = f"{request.method} is not allowed on {request.url.path}"
    else:
        message = f"no such path {request.url.path!r}; OTLP traces go to POST /v1/traces"
    return _answer(RequestError(status, message), kind != _PROTOBUF)


def build_app(
    ingest: Ingest,
    *,
    read_timeout: float,
    pool: ThreadPoolExecutor,
    extra_routes: Sequence[BaseRoute] = (),
) -> Starlette:
    """The receiver's ASGI app. ``extra_routes`` come first, so a viewer may take ``/``."""
    traces = _Traces(ingest, read_timeout, pool)
    routes: list[BaseRoute] = [
        *extra_routes,
        Route("/v1/traces", traces.handle, methods=["POST"]),
        Route("/v1/traces/", traces.handle, methods=["POST"]),
        Route("/health", _health, methods=["GET"]),
        Route("/healthz", _health, methods=["GET"]),
        Route("/", _health, methods=["GET"]),
    ]
    return Starlette(routes=routes, exception_handlers={404: _not_routed, 405: _not_routed})


class _Connection(H11Protocol):
    """uvicorn's h11 protocol plus two bounds: ``max_connections`` (one more is told 503
    and closed) and ``head_timeout``, the time a client has to send a request's head
    from its first byte (or from connecting), and to send the rest of a body that was
    answered early (drained). A body being read by the app has the app's timeout."""

    max_connections = 1024
    head_timeout = 10.0
    on_refused: Callable[[], None] = staticmethod(lambda: None)
    _timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # pyright: ignore[reportIncompatibleMethodOverride]
        super().connection_made(transport)
        if len(self.connections) > self.max_connections:
            self.on_refused()
            transport.write(_BUSY)
            transport.close()
            return
        self._arm()

    def data_received(self, data: bytes) -> None:
        if self._timer is None and not self._app_busy():
            self._arm()  # a new request (or the drain of an answered one) starts
        super().data_received(data)
        if self._app_busy():
            self._disarm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self._app_busy():
            self._disarm()  # idle now: uvicorn's keep-alive timeout takes over

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _app_busy(self) -> bool:
        cycle = cast("RequestResponseCycle | None", self.cycle)  # None until a request
        return cycle is not None and not cycle.response_complete

    def _arm(self) -> None:
        self._disarm()
        self._timer = self.loop.call_later(self.head_timeout, self._timed_out)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _timed_out(self) -> None:
        self._timer = None
        if not self._app_busy() and not self.transport.is_closing():
            logger.debug("spanwise server: closing a connection silent for %gs", self.head_timeout)
            self.transport.close()


class HttpServer:
    """uvicorn serving ``app`` on a socket bound in ``start()``, in a daemon thread."""

    def __init__(
        self,
        app: Starlette,
        host: str,
        port: int,
        *,
        max_connections: int,
        read_timeout: float,
        keep_alive_timeout: float,
        backlog: int,
        on_refused: Callable[[], None],
    ) -> None:
        self._app = app
        self.host = host
        self.port = port
        self.backlog = backlog
        self._protocol = type(
            "_BoundedConnection",
            (_Connection,),
            {
                "max_connections": max_connections,
                "head_timeout": read_timeout,
                "on_refused": staticmethod(on_refused),
            },
        )
        self._keep_alive = keep_alive_timeout
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> int:
        """Bind (raising OSError or OverflowError as ``socket.bind`` does) and serve;
        returns the bound port."""
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self.port))
            sock.listen(self.backlog)
        except BaseException:
            sock.close()
            raise
        self.port = int(sock.getsockname()[1])
        config = uvicorn.Config(
            self._app,
            http=self._protocol,
            loop="asyncio",
            lifespan="off",
            log_config=None,
            access_log=False,
            server_header=False,
            headers=[("server", "spanwise-otlp")],
            backlog=self.backlog,
            timeout_keep_alive=max(1, round(self._keep_alive)),
            timeout_graceful_shutdown=2,
        )
        server = uvicorn.Server(config)
        self._server = server
        self._thread = threading.Thread(
            target=self._run, args=(server, sock), name="spanwise-otlp-http", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not server.started and self._thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.005)
        if not server.started:
            self.stop()
            raise OSError(f"the HTTP server on {self.host}:{self.port} did not start")
        return self.port

    @staticmethod
    def _run(server: uvicorn.Server, sock: socket.socket) -> None:
        async def serve() -> None:
            try:
                await server.serve(sockets=[sock])
            finally:
                # Connections still open after the graceful period: closed, not leaked.
                for connection in list(server.server_state.connections):
                    transport = getattr(connection, "transport", None)
                    if transport is not None:
                        transport.close()
                await asyncio.sleep(0)

        try:
            asyncio.run(serve())
        finally:
            sock.close()

    def stop(self, grace: float = 2.0) -> None:
        if self._server is not None:
            self._server.config.timeout_graceful_shutdown = max(1, round(grace))
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=grace + 5)
