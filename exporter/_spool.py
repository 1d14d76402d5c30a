"""A disk spool for spans the backend could not take: OTLP protobuf files in a directory.

Used by ``ResilientSpanExporter`` when ``SPANWISE_EXPORT_SPOOL_DIR`` is set: spans that
overflow the memory buffer, and those still unsent at exit, are written here instead of
dropped, and sent (oldest file first) once the backend answers, by this process or the
next one that uses the directory. The directory is bounded by
``SPANWISE_EXPORT_SPOOL_MB`` (default 256); past it, the oldest files go first and their
spans are counted as dropped. Several processes may share a directory: a file is
claimed by renaming it, so each is sent by one process only. A process killed while
sending leaves its claim; the next spool opened on the directory frees it (its process is
gone) and sends it again: delivery is at least once, as with OTLP's own retries.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import Link, SpanContext, SpanKind, Status, StatusCode, TraceFlags

from spanwise.common._safety import logger

__all__ = ["ENV_SPOOL_DIR", "ENV_SPOOL_MB", "Spool", "spool_from_env"]

ENV_SPOOL_DIR = "SPANWISE_EXPORT_SPOOL_DIR"
ENV_SPOOL_MB = "SPANWISE_EXPORT_SPOOL_MB"
DEFAULT_SPOOL_MB = 256
_SUFFIX = ".otlp"
_CLAIMED = ".sending-"  # <file>.sending-<pid> while a process sends it
_counter = itertools.count()


def spool_from_env() -> Spool | None:
    directory = os.environ.get(ENV_SPOOL_DIR, "").strip()
    if not directory:
        return None
    try:
        megabytes = float(os.environ.get(ENV_SPOOL_MB, DEFAULT_SPOOL_MB))
    except ValueError:
        megabytes = DEFAULT_SPOOL_MB
    try:
        return Spool(Path(directory).expanduser(), int(megabytes * 1024 * 1024))
    except OSError as exc:  # the app runs on, with the memory buffer only
        logger.warning(
            "spanwise: %s=%s is unusable (%s); no disk spool", ENV_SPOOL_DIR, directory, exc
        )
        return None


class Spool:
    """Files named ``<ns>-<pid>-<seq>-<spans>.otlp``: sorted by name is oldest first."""

    def __init__(self, directory: Path, max_bytes: int) -> None:
        self.directory = directory
        self.max_bytes = max_bytes
        self.dropped = 0  # spans of files removed to stay within max_bytes
        self._lock = threading.Lock()
        directory.mkdir(parents=True, exist_ok=True)
        self._reclaim()

    def after_fork(self) -> None:
        """In a forked child: a fresh lock (the parent's may have been held), no counts."""
        self._lock = threading.Lock()
        self.dropped = 0

    def _reclaim(self) -> None:
        # Files claimed by a process that died before finishing are free again.
        for path in self.directory.glob(f"*{_SUFFIX}{_CLAIMED}*"):
            pid = path.name.rpartition(_CLAIMED)[2]
            if pid.isdigit() and not _alive(int(pid)):
                with contextlib.suppress(OSError):  # another process reclaimed it first
                    path.rename(path.with_name(path.name.partition(_CLAIMED)[0]))

    def files(self) -> list[Path]:
        return sorted(self.directory.glob(f"*{_SUFFIX}"))

    def __bool__(self) -> bool:
        return any(True for _ in self.directory.glob(f"*{_SUFFIX}"))

    def put(self, spans: Sequence[ReadableSpan]) -> None:
        """Write spans as one file (atomically: a reader never sees half of it)."""
        if not spans:
            return
        data = encode_spans(spans).SerializeToString()
        name = f"{time.time_ns():020d}-{os.getpid()}-{next(_counter):06d}-{len(spans)}{_SUFFIX}"
        with self._lock:
            self._make_room(len(data))
            partial = self.directory / f".{name}.tmp"
            partial.write_bytes(data)
            partial.rename(self.directory / name)

    def _make_room(self, incoming: int) -> None:
        files = [(p, _size(p)) for p in self.files()]
        total = sum(size for _, size in files) + incoming
        for path, size in files:
            if total <= self.max_bytes:
                break
            try:
                path.unlink()
            except OSError:
                continue  # claimed or removed by another process meanwhile
            total -= size
            self.dropped += _span_count(path)

    def claim(self) -> Path | None:
        """The oldest file, renamed so no other process sends it too."""
        for path in self.files():
            claimed = path.with_name(f"{path.name}{_CLAIMED}{os.getpid()}")
            try:
                path.rename(claimed)
            except OSError:
                continue
            return claimed
        return None

    def release(self, claimed: Path) -> None:
        """Give a claimed file back (its send failed)."""
        with contextlib.suppress(OSError):
            claimed.rename(claimed.with_name(claimed.name.partition(_CLAIMED)[0]))

    @staticmethod
    def done(claimed: Path) -> None:
        claimed.unlink(missing_ok=True)

    @staticmethod
    def read(claimed: Path) -> list[ReadableSpan]:
        """A file's spans as SDK spans, for the exporter; unreadable files raise."""
        request = ExportTraceServiceRequest()
        request.ParseFromString(claimed.read_bytes())
        return spans_from_request(request)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _span_count(path: Path) -> int:
    count = path.name.partition(_SUFFIX)[0].rpartition("-")[2]
    return int(count) if count.isdigit() else 0


# -- OTLP protobuf -> SDK spans (what encode_spans wrote, read back) -----------------------


def _value(value: AnyValue) -> object:
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return tuple(_value(v) for v in value.array_value.values)
    if kind == "kvlist_value":
        return {kv.key: _value(kv.value) for kv in value.kvlist_value.values}
    return None if kind is None else getattr(value, kind)


def _attributes(values: Sequence[KeyValue]) -> dict[str, object]:
    return {kv.key: _value(kv.value) for kv in values}


def _context(trace_id: bytes, span_id: bytes, flags: int, remote: bool = False) -> SpanContext:
    return SpanContext(
        int.from_bytes(trace_id, "big"),
        int.from_bytes(span_id, "big"),
        is_remote=remote,
        trace_flags=TraceFlags(flags & 0xFF or TraceFlags.SAMPLED),
    )


def _status(code: int, message: str) -> Status:
    status_code = StatusCode(code) if code in (0, 1, 2) else StatusCode.UNSET
    # The SDK keeps a description only on errors (and warns when given one otherwise).
    return Status(status_code, message or None if status_code is StatusCode.ERROR else None)


def spans_from_request(request: ExportTraceServiceRequest) -> list[ReadableSpan]:
    spans: list[ReadableSpan] = []
    for resource_spans in request.resource_spans:
        resource = Resource(_attributes(resource_spans.resource.attributes))  # pyright: ignore[reportArgumentType]
        for scope_spans in resource_spans.scope_spans:
            scope = InstrumentationScope(scope_spans.scope.name, scope_spans.scope.version or None)
            for span in scope_spans.spans:
                parent = None
                if span.parent_span_id:
                    remote = bool(span.flags & 0x100 and span.flags & 0x200)
                    parent = _context(span.trace_id, span.parent_span_id, span.flags, remote)
                spans.append(
                    ReadableSpan(
                        name=span.name,
                        context=_context(span.trace_id, span.span_id, span.flags),
                        parent=parent,
                        resource=resource,
                        attributes=_attributes(span.attributes),  # pyright: ignore[reportArgumentType]
                        events=[
                            Event(e.name, _attributes(e.attributes), e.time_unix_nano)  # pyright: ignore[reportArgumentType]
                            for e in span.events
                        ],
                        links=[
                            Link(
                                _context(link.trace_id, link.span_id, link.flags),
                                _attributes(link.attributes),  # pyright: ignore[reportArgumentType]
                            )
                            for link in span.links
                        ],
                        kind=SpanKind(max(span.kind - 1, 0)),
                        status=_status(span.status.code, span.status.message),
                        start_time=span.start_time_unix_nano,
                        end_time=span.end_time_unix_nano,
                        instrumentation_scope=scope,
                    )
                )
    return spans
