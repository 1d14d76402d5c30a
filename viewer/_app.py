"""The viewer's web app: the page, its static files and a read-only JSON API.

    GET /                           the page (trace list; #trace=<id> opens a trace)
    GET /static/<file>              its scripts and styles (shipped in the wheel)
    GET /api/traces                 ?filter=&order_by=&page_size=&page_token=
                                    -> {"traces": [...], "next_page_token", "total"}
                                    400 {"error", "position"} for a bad filter
    GET /api/traces/<id>            the trace for the page (404 when unknown)
    GET /api/traces/<id>/json       the trace's JSON (Trace.to_json), as a download

``routes()`` joins another app (``spanwise server`` serves them next to ``/v1/traces``);
``create_app()`` is the app alone (``spanwise ui``). With a token, every route needs it:
``Authorization: Bearer <token>``, or the cookie a visit to ``/?token=<token>`` sets
(compared in constant time). ``allowed_hosts`` (the loopback names when serving on
loopback) refuses other ``Host`` headers, so a web page cannot reach the viewer through
DNS rebinding. Every answer forbids inline script (Content-Security-Policy): the page
renders span content as text, and the policy is the second wall.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, Collection, Sequence
from importlib.resources import files
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from spanwise.common._ids import format_trace_id, parse_trace_id
from spanwise.store._sql import SqlTraceStore

from ._pages import MAX_PAGE_SIZE, FilterError, PageTokenError, parse_search, search_page
from ._present import dumps, trace_view

__all__ = ["COOKIE", "LOOPBACK_HOSTS", "create_app", "routes"]

COOKIE = "spanwise_token"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
_STATIC_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
_DEFAULT_PAGE = 50

Endpoint = Callable[[Request], Awaitable[Response]]


def _static(name: str) -> tuple[bytes, str] | None:
    """A file of the page, read from the installed package (None: no such file)."""
    if "/" in name or "\\" in name or name.startswith("."):
        return None
    suffix = name[name.rfind(".") :] if "." in name else ""
    if suffix not in _STATIC_TYPES:
        return None
    resource = files(__package__ or "spanwise.viewer") / "static" / name
    if not resource.is_file():
        return None
    return resource.read_bytes(), _STATIC_TYPES[suffix]


def _json(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(dumps(payload), status, {**_HEADERS, **(headers or {})}, "application/json")


def _error(status: int, message: str, **extra: Any) -> Response:
    return _json({"error": message, **extra}, status)


class _Viewer:
    def __init__(
        self, store: SqlTraceStore, token: str | None, allowed_hosts: Collection[str] | None
    ) -> None:
        self.store = store
        self.token = token
        self.allowed_hosts = None if allowed_hosts is None else frozenset(allowed_hosts)

    # -- access ------------------------------------------------------------------------

    def _host_ok(self, request: Request) -> bool:
        if self.allowed_hosts is None:
            return True
        host = request.headers.get("host", "")
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        return name.lower() in self.allowed_hosts

    def _authorized(self, request: Request) -> bool:
        if self.token is None:
            return True
        expected = self.token.encode()
        header = request.headers.get("authorization", "")
        given = header[7:] if header[:7].lower() == "bearer " else request.cookies.get(COOKIE, "")
        return hmac.compare_digest(given.encode(), expected)

    def guarded(self, handler: Endpoint) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            if not self._host_ok(request):
                return _error(403, "this viewer answers on its own address only (Host refused)")
            if not self._authorized(request):
                return _error(401, "a token is required: open /?token=<token>")
            return await handler(request)

        return endpoint

    # -- routes --------------------------------------------------------------------------

    async def index(self, request: Request) -> Response:
        given = request.query_params.get("token")
        if given is not None and self.token is not None and self._host_ok(request):
            if not hmac.compare_digest(given.encode(), self.token.encode()):
                return _error(401, "wrong token")
            # The token moves into a cookie and out of the address bar (and history).
            response = RedirectResponse("./", 303, headers=_HEADERS)
            response.set_cookie(COOKIE, self.token, httponly=True, samesite="strict", path="/")
            return response
        return await self.guarded(self._page)(request)

    async def _page(self, request: Request) -> Response:
        found = _static("index.html")
        assert found is not None  # shipped with the package
        return Response(found[0], 200, _HEADERS, found[1])

    async def static(self, request: Request) -> Response:
        found = _static(str(request.path_params["name"]))
        if found is None:
            return _error(404, "no such file")
        return Response(found[0], 200, _HEADERS, found[1])

    async def list_traces(self, request: Request) -> Response:
        params = request.query_params
        try:
            size = int(params.get("page_size", _DEFAULT_PAGE))
        except ValueError:
            size = 0
        if not 1 <= size <= MAX_PAGE_SIZE:
            return _error(400, f"page_size must be 1-{MAX_PAGE_SIZE}")
        try:
            comparisons, order = parse_search(params.get("filter"), params.get("order_by"))
        except FilterError as exc:
            return _error(400, str(exc), position=exc.position)
        token = params.get("page_token") or None

        def work() -> dict[str, Any]:
            page = search_page(self.store, comparisons, order, size, token)
            total = self.store.count() if token is None else None
            return {"traces": page.rows, "next_page_token": page.next_page_token, "total": total}

        try:
            return _json(await run_in_threadpool(work))
        except PageTokenError as exc:
            return _error(400, str(exc))

    def _trace_id(self, request: Request) -> str | None:
        try:
            return format_trace_id(parse_trace_id(str(request.path_params["trace_id"])))
        except ValueError:
            return None

    async def get_trace(self, request: Request) -> Response:
        trace_id = self._trace_id(request)
        if trace_id is None:
            return _error(400, "not a trace id (tr-<32 hex>)")
        trace = await run_in_threadpool(self.store.get_trace, trace_id)
        if trace is None:
            return _error(404, f"no trace {trace_id} in the store")
        return Response(
            await run_in_threadpool(lambda: dumps(trace_view(trace))),
            200,
            _HEADERS,
            "application/json",
        )

    async def trace_json(self, request: Request) -> Response:
        trace_id = self._trace_id(request)
        if trace_id is None:
            return _error(400, "not a trace id (tr-<32 hex>)")
        trace = await run_in_threadpool(self.store.get_trace, trace_id)
        if trace is None:
            return _error(404, f"no trace {trace_id} in the store")
        disposition = f'attachment; filename="{trace_id}.json"'
        return Response(
            trace.to_json(pretty=True),
            200,
            {**_HEADERS, "Content-Disposition": disposition},
            "application/json",
        )


def routes(
    store: SqlTraceStore,
    *,
    token: str | None = None,
    allowed_hosts: Collection[str] | None = None,
) -> Sequence[BaseRoute]:
    """The viewer's routes over ``store``, to join another Starlette app."""
    viewer = _Viewer(store, token, allowed_hosts)
    guard = viewer.guarded
    return [
        Route("/", viewer.index, methods=["GET"]),
        Route("/static/{name}", guard(viewer.static), methods=["GET"]),
        Route("/api/traces", guard(viewer.list_traces), methods=["GET"]),
        Route("/api/traces/{trace_id}", guard(viewer.get_trace), methods=["GET"]),
        Route("/api/traces/{trace_id}/json", guard(viewer.trace_json), methods=["GET"]),
    ]


def create_app(
    store: SqlTraceStore,
    *,
    token: str | None = None,
    allowed_hosts: Collection[str] | None = None,
) -> Starlette:
    """The viewer alone (``spanwise ui``)."""
    return Starlette(routes=list(routes(store, token=token, allowed_hosts=allowed_hosts)))
