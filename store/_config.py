"""Where traces are stored: ``SPANWISE_TRACKING_URI`` or ``set_tracking_uri()`` (which
flushes through the export pipeline, then calls :func:`set_uri`).

* unset: an embedded SQLite file, ``spanwise.db`` in the working directory at first use
  (like MLflow's ``mlflow.db``);
* ``sqlite:///path/to/traces.db`` or a plain file path: SQLite;
* ``postgresql://user:pass@host:5432/db`` (``pip install 'spanwise[postgres]'``);
* ``none`` (or ``memory``): no store; traces stay in memory only (the last 1000).
"""

from __future__ import annotations

import os
from pathlib import Path

from spanwise.common._safety import fork_safe_lock

__all__ = [
    "DEFAULT_DB_NAME",
    "TRACKING_URI_ENV",
    "get_tracking_uri",
    "normalize_uri",
    "reset_tracking_uri",
    "set_uri",
]

TRACKING_URI_ENV = "SPANWISE_TRACKING_URI"
DEFAULT_DB_NAME = "spanwise.db"
_NO_STORE = {"none", "memory", "off"}
_SCHEMES = ("sqlite", "postgresql", "postgres")

_lock = fork_safe_lock()  # released again in a forked child
_uri: str | None = None


def normalize_uri(uri: str) -> str | None:
    """A canonical SQLAlchemy URL, or None for "no store". ValueError when unusable."""
    text = uri.strip()
    if text.lower() in _NO_STORE or not text:
        return None
    if "://" not in text:  # a plain path
        return f"sqlite:///{Path(text).expanduser().resolve()}"
    scheme = text.split("://", 1)[0].split("+", 1)[0].lower()
    if scheme not in _SCHEMES:
        raise ValueError(
            f"Unsupported tracking URI {uri!r}: use sqlite:///path, postgresql://..., a file "
            "path, or 'none'"
        )
    if scheme == "postgres":  # SQLAlchemy 2 knows only the long name
        text = "postgresql" + text[len("postgres") :]
    if scheme == "sqlite" and text.startswith("sqlite:///") and not text.startswith("sqlite:////"):
        rest = text[len("sqlite:///") :]
        if rest and rest != ":memory:":
            text = f"sqlite:///{Path(rest).expanduser().resolve()}"
    return text


def get_tracking_uri() -> str | None:
    """The store's URL (None: memory only). Resolved once, at first use."""
    global _uri
    with _lock:
        if _uri is None:
            raw = os.environ.get(TRACKING_URI_ENV)
            _uri = raw if raw is not None else DEFAULT_DB_NAME
        return normalize_uri(_uri)


def set_uri(uri: str | Path) -> None:
    """Store traces at ``uri`` from now on. The public ``set_tracking_uri`` flushes the
    traces finished before the switch first (``spanwise.exporter``)."""
    text = str(uri)
    normalize_uri(text)  # validate before changing anything
    global _uri
    with _lock:
        _uri = text


def reset_tracking_uri() -> None:
    """Read ``SPANWISE_TRACKING_URI`` again at next use (for tests)."""
    global _uri
    with _lock:
        _uri = None
