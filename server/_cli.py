"""The ``spanwise`` command: an OTLP receiver and the trace store from the shell.

    spanwise server [--host H] [--http-port P] [--grpc-port P] [--token T]
    spanwise ui [--host H] [--port P] [--token T]
    spanwise traces list [--filter F] [--conversation ID] [--max-results N] [--order-by X]
    spanwise traces show TRACE_ID
    spanwise traces export [--filter F] [--conversation ID] [--max-results N] [--output FILE]

Every command reads the store at ``--tracking-uri`` (default: ``SPANWISE_TRACKING_URI``,
else ``./spanwise.db``); ``traces`` commands only read: a missing store is an error, never
created. Errors are one line on stderr and a non-zero exit status: 1 when the work
failed, 2 for a bad command line (argparse's convention), naming the flag.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, NoReturn, TextIO

from spanwise.common._ids import format_trace_id, parse_trace_id

if TYPE_CHECKING:
    from starlette.routing import BaseRoute

    from spanwise.store._sql import SqlTraceStore

__all__ = ["main"]

_PAGE = 200  # traces loaded at a time by `traces export`


class CommandError(Exception):
    """A failure to report as one line (no traceback)."""


def _store(uri: str | None, *, create: bool = True) -> SqlTraceStore:
    """The store at ``uri`` (else the configured one); ``create=False`` for commands that
    only read: they never create a store (a missing one is an error)."""
    from spanwise.store._config import get_tracking_uri, normalize_uri
    from spanwise.store._sql import SqlTraceStore, StoreNotFoundError

    try:
        resolved = normalize_uri(uri) if uri else get_tracking_uri()
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    if resolved is None:
        raise CommandError("no trace store: the tracking URI is 'none' (memory only)")
    try:
        return SqlTraceStore(resolved, create=create)
    except StoreNotFoundError as exc:
        raise CommandError(f"{exc}; check --tracking-uri or SPANWISE_TRACKING_URI") from None
    except Exception as exc:
        raise CommandError(f"cannot open the trace store at {resolved}: {exc}") from exc


# -- server ------------------------------------------------------------------------------


def _server(args: argparse.Namespace) -> int:
    from ._receiver import BindError, Receiver

    store = _store(args.tracking_uri)
    token = args.token or os.environ.get("SPANWISE_SERVER_TOKEN") or None
    receiver = Receiver(
        store.write_records,
        host=args.host,
        http_port=None if args.http_port < 0 else args.http_port,
        grpc_port=None if args.grpc_port < 0 else args.grpc_port,
        token=token,
        max_bytes=args.max_bytes,
        extra_routes=_viewer_routes(store, args.host, token),
    )
    try:
        receiver.start()
    except BindError as exc:  # a command-line mistake (a port taken): one line, exit 2
        store.close()
        print(f"spanwise server: error: argument --{exc.protocol}-port: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, on_signal)
    where: list[str] = []
    if receiver.http_port is not None:
        where.append(f"OTLP/HTTP http://{args.host}:{receiver.http_port}/v1/traces")
    if receiver.grpc_port is not None:
        where.append(f"OTLP/gRPC {args.host}:{receiver.grpc_port}")
    if receiver.http_port is not None:
        where.append(f"viewer http://{_url_host(args.host)}:{receiver.http_port}/")
    print(
        f"spanwise server: {', '.join(where)} -> {store.uri}"
        + (" (bearer token required)" if token else ""),
        flush=True,
    )
    try:
        while not stop.wait(1.0):
            pass
    finally:
        receiver.stop()
        store.close()
        stats = receiver.stats
        print(
            f"spanwise server: stopped; {stats.spans} spans stored from {stats.requests} "
            f"requests, {stats.rejected_spans} spans rejected, {stats.bad_requests} bad "
            f"requests",
            flush=True,
        )
    return 0


# -- ui ----------------------------------------------------------------------------------


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _viewer_routes(store: SqlTraceStore, host: str, token: str | None) -> Sequence[BaseRoute]:
    """The viewer's routes; on loopback they answer to loopback names only (no DNS
    rebinding), elsewhere to any (a token is then advised)."""
    from spanwise.viewer._app import LOOPBACK_HOSTS, routes

    allowed = LOOPBACK_HOSTS | {host} if host in LOOPBACK_HOSTS else None
    return routes(store, token=token, allowed_hosts=allowed)


def _ui(args: argparse.Namespace) -> int:
    from starlette.applications import Starlette

    from ._http import HttpServer

    store = _store(args.tracking_uri, create=False)
    token = args.token or os.environ.get("SPANWISE_UI_TOKEN") or None
    app = Starlette(routes=list(_viewer_routes(store, args.host, token)))
    server = HttpServer(
        app,
        args.host,
        args.port,
        max_connections=256,
        read_timeout=10.0,
        keep_alive_timeout=30.0,
        backlog=128,
        on_refused=lambda: None,
    )
    try:
        port = server.start()
    except (OSError, OverflowError) as exc:
        store.close()
        reason = getattr(exc, "strerror", None) or str(exc)
        print(f"spanwise ui: error: argument --port: {args.port}: {reason}", file=sys.stderr)
        return 2
    url = f"http://{_url_host(args.host)}:{port}/"
    print(
        f"spanwise ui: {url}" + (f"?token={token}" if token else "") + f" (reading {store.uri})",
        flush=True,
    )
    if token is None and args.host not in {"127.0.0.1", "localhost", "::1"}:
        print("spanwise ui: warning: serving beyond loopback without --token", file=sys.stderr)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda signum, frame: stop.set())
    try:
        while not stop.wait(1.0):
            pass
    finally:
        server.stop()
        store.close()
    return 0


# -- traces ------------------------------------------------------------------------------


def _search_ids(store: SqlTraceStore, args: argparse.Namespace) -> list[str]:
    from spanwise.store._filter import parse_filter, parse_order_by

    # Both were checked by the parser (_filter_arg, _order_arg).
    comparisons = parse_filter(_conversation_filter(args.filter, args.conversation))
    order = parse_order_by(args.order_by)
    return store.search_ids(comparisons, order, args.max_results)


def _conversation_filter(filter_string: str | None, conversation: str | None) -> str | None:
    """``filter_string`` narrowed to one conversation (``--conversation``)."""
    if conversation is None:
        return filter_string
    quoted = conversation.replace("\\", "\\\\").replace("'", "\\'")
    parts = [filter_string] if filter_string and filter_string.strip() else []
    return " AND ".join([*parts, f"conversation.id = '{quoted}'"])


def _list(args: argparse.Namespace, out: TextIO) -> int:
    store = _store(args.tracking_uri, create=False)
    try:
        traces = store.load(_search_ids(store, args))
    finally:
        store.close()
    rows = [("TRACE ID", "STATE", "STARTED (UTC)", "DURATION", "SPANS", "NAME", "TAGS")]
    for trace in traces:
        info = trace.info
        root = trace.data.root_span
        started = datetime.fromtimestamp(info.request_time / 1000, tz=timezone.utc)
        duration = "-" if info.execution_duration is None else f"{info.execution_duration} ms"
        tags = ",".join(f"{k}={v}" for k, v in sorted(info.tags.items()))
        rows.append(
            (
                info.trace_id,
                info.state.value,
                started.strftime("%Y-%m-%d %H:%M:%S"),
                duration,
                str(len(trace.data.spans)),
                "" if root is None else root.name,
                tags,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        out.write("  ".join([*cells, row[-1]]).rstrip() + "\n")
    if len(rows) == 1:
        out.write("(no traces)\n")
    return 0


def _show(args: argparse.Namespace, out: TextIO) -> int:
    from spanwise.model._conversation import CONVERSATION_KEY
    from spanwise.model._model import render_tree

    trace_id = args.trace_id  # checked by the parser (_trace_id_arg)
    store = _store(args.tracking_uri, create=False)
    try:
        trace = store.get_trace(trace_id)
    finally:
        store.close()
    if trace is None:
        raise CommandError(f"no trace {trace_id} in the store")
    head, _, rest = render_tree(trace).partition("\n")
    conversation = trace.info.trace_metadata.get(CONVERSATION_KEY)
    if conversation is not None:  # under the trace's line, as its tags are
        head += f"\nconversation: {conversation}"
    out.write(f"{head}\n{rest}".rstrip("\n") + "\n")
    return 0


def _export(args: argparse.Namespace, out: TextIO) -> int:
    store = _store(args.tracking_uri, create=False)
    target: TextIO = out
    try:
        ids = _search_ids(store, args)
        if args.output not in (None, "-"):
            try:
                target = open(args.output, "w", encoding="utf-8")  # noqa: SIM115
            except OSError as exc:
                raise CommandError(f"cannot write {args.output}: {exc}") from None
        progress = _Progress(len(ids))
        for start in range(0, len(ids), _PAGE):
            for trace in store.load(ids[start : start + _PAGE]):
                target.write(trace.to_json() + "\n")
            progress.update(min(start + _PAGE, len(ids)))
        progress.done()
    finally:
        store.close()
        if target is not out:
            target.close()
    return 0


class _Progress:
    """``exported N/M traces`` on stderr: live on a terminal, a final line otherwise."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.live = sys.stderr.isatty()
        self._last = 0.0

    def update(self, done: int) -> None:
        now = time.monotonic()
        if self.live and now - self._last > 0.2:
            self._last = now
            sys.stderr.write(f"\rexported {done}/{self.total} traces")
            sys.stderr.flush()

    def done(self) -> None:
        sys.stderr.write(("\r" if self.live else "") + f"exported {self.total} traces\n")


# -- entry point -------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``spanwise traces list: error: argument
    --max-results: ...``, exit status 2 (subcommand parsers are of this class too)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _max_results_arg(text: str) -> int:
    from spanwise.store._filter import check_max_results

    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}") from None
    try:
        checked = check_max_results(number)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {number}") from None
    assert checked is not None
    return checked


def _filter_arg(text: str) -> str:
    from spanwise.store._filter import parse_filter

    try:
        parse_filter(text)
    except ValueError as exc:  # the caret lines need a terminal of their own: one line here
        raise argparse.ArgumentTypeError(_first_line(exc)) from None
    return text


def _order_arg(text: str) -> str:
    from spanwise.store._filter import parse_order_by

    try:
        parse_order_by([text])
    except ValueError as exc:
        raise argparse.ArgumentTypeError(_first_line(exc)) from None
    return text


def _trace_id_arg(text: str) -> str:
    try:
        return format_trace_id(parse_trace_id(text))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(_first_line(exc)) from None


def _uri_arg(text: str) -> str:
    from spanwise.store._config import normalize_uri

    try:
        uri = normalize_uri(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(_first_line(exc)) from None
    if uri is None:
        raise argparse.ArgumentTypeError(f"{text!r} means no store (memory only); give a store")
    return text


def _port_arg(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -2
    if not -1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0-65535 (0: any free, -1: off), not {text!r}")
    return port


def _size_arg(text: str) -> int:
    try:
        size = int(text)
    except ValueError:
        size = 0
    if size <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of bytes, not {text!r}")
    return size


def _version() -> str:
    # The facade's spanwise.__version__ sits above this layer: read the same metadata.
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("spanwise")
    except PackageNotFoundError:  # a source tree never installed
        return "0+unknown"


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="spanwise", description="spanwise: OTLP receiver and trace store")
    parser.add_argument("--version", action="version", version=f"spanwise {_version()}")
    common = _Parser(add_help=False)
    common.add_argument(
        "--tracking-uri",
        type=_uri_arg,
        help="the trace store (sqlite:///path, postgresql://..., a file path); default: "
        "SPANWISE_TRACKING_URI or ./spanwise.db",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    server = commands.add_parser("server", parents=[common], help="run an OTLP receiver")
    server.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
    server.add_argument(
        "--http-port", type=_port_arg, default=4318, help="OTLP/HTTP; 0 any free; -1 disables"
    )
    server.add_argument(
        "--grpc-port", type=_port_arg, default=4317, help="OTLP/gRPC; 0 any free; -1 disables"
    )
    server.add_argument(
        "--token", help="require 'Authorization: Bearer TOKEN' (or SPANWISE_SERVER_TOKEN)"
    )
    server.add_argument(
        "--max-bytes", type=_size_arg, default=32 * 1024 * 1024, help="largest request accepted"
    )

    ui = commands.add_parser("ui", parents=[common], help="browse the trace store in a browser")
    ui.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
    ui.add_argument("--port", type=_port_arg, default=5050, help="HTTP port; 0 any free")
    ui.add_argument("--token", help="require this token (or SPANWISE_UI_TOKEN): open /?token=T")

    traces = commands.add_parser("traces", help="read the trace store")
    actions = traces.add_subparsers(dest="action", required=True)
    search = _Parser(add_help=False)
    search.add_argument(
        "--filter", type=_filter_arg, help="MLflow filter syntax, e.g. \"tags.env = 'prod'\""
    )
    search.add_argument(
        "--order-by", type=_order_arg, action="append", help="e.g. 'timestamp_ms DESC'"
    )
    search.add_argument(
        "--conversation",
        metavar="ID",
        help="only the turns of this conversation (session): conversation.id = 'ID'",
    )
    list_ = actions.add_parser("list", parents=[common, search], help="list traces")
    list_.add_argument("--max-results", type=_max_results_arg, default=50)
    show = actions.add_parser("show", parents=[common], help="a trace as a tree")
    show.add_argument("trace_id", type=_trace_id_arg, help="tr-<32 hex> or the 32 hex digits")
    export = actions.add_parser(
        "export", parents=[common, search], help="traces as JSON lines (Trace.to_json)"
    )
    export.add_argument("--max-results", type=_max_results_arg, default=None)
    export.add_argument("--output", "-o", help="file to write (default: stdout)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "server":
            return _server(args)
        if args.command == "ui":
            return _ui(args)
        handlers = {"list": _list, "show": _show, "export": _export}
        return handlers[args.action](args, sys.stdout)
    except CommandError as exc:
        print(f"spanwise: error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # `spanwise traces export | head`
        return 0
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
