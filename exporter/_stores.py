"""The trace stores the pipeline writes to: one per tracking URI, opened once, and the
background writer that files finished traces into the current one.

Shared by the provider set-up and the ``spanwise`` OTel exporter (which writes the store
itself while it is in a pipeline, so the writer then stands aside).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from spanwise.common._safety import fork_safe_lock, warn_once
from spanwise.store._config import get_tracking_uri
from spanwise.store._writer import StoreWriter

if TYPE_CHECKING:
    from spanwise.store._sql import SqlTraceStore

__all__ = ["exporters_active", "get_store", "store_exporter_active", "writer"]

_lock = fork_safe_lock(reentrant=True)  # released again in a forked child
_stores: dict[str, SqlTraceStore] = {}
# URI -> why it could not be opened; writes skip it (once logged), reads raise.
_store_broken: dict[str, Exception] = {}
# Set while a SpanwiseStoreExporter is in a pipeline: it writes the store itself.
_exporters_active = 0


def get_store(*, for_read: bool = False) -> SqlTraceStore | None:
    """The store at the current tracking URI (opened once per URI), or None for memory only.

    A store that cannot be opened is reported once and then skipped by writes; reads
    (``for_read``) raise, since answering from memory would silently omit traces.
    """
    uri = get_tracking_uri()
    if uri is None:
        return None
    broken = _store_broken.get(uri)
    if broken is not None:
        if for_read:
            raise RuntimeError(f"The trace store at {uri} cannot be opened: {broken}") from broken
        return None
    with _lock:
        store = _stores.get(uri)
        if store is None:
            try:
                from spanwise.store._sql import SqlTraceStore

                store = _stores[uri] = SqlTraceStore(uri)
            except Exception as exc:
                _store_broken[uri] = exc
                warn_once(
                    "store:open:" + uri,
                    "spanwise: cannot open the trace store at %s (%s: %s); traces stay in "
                    "memory only",
                    uri,
                    type(exc).__name__,
                    exc,
                )
                raise
        return store


def _writer_store() -> SqlTraceStore | None:
    if _exporters_active:
        return None
    return get_store()


writer = StoreWriter(_writer_store)


def store_exporter_active(delta: int) -> None:
    global _exporters_active
    with _lock:
        _exporters_active += delta


def exporters_active() -> bool:
    """Whether a ``spanwise`` exporter is in a pipeline (it writes the store itself)."""
    return _exporters_active > 0
