"""Never break the host application.

spanwise's own failures are caught at each site, logged once per site (WARNING the
first time, DEBUG after), and the traced call proceeds untraced. Under tests
(``SPANWISE_RAISE_INTERNAL_ERRORS=1``) they re-raise so that they are seen.
"""

from __future__ import annotations

import logging
import os
import threading

__all__ = [
    "fork_safe_lock",
    "logger",
    "raise_internal_errors",
    "report_internal_error",
    "warn_once",
]

logger = logging.getLogger("spanwise")

_fork_safe: list[threading.Lock | threading.RLock] = []


def fork_safe_lock(*, reentrant: bool = False) -> threading.Lock | threading.RLock:
    """A module-level lock (an ``RLock`` when ``reentrant``) that a forked child gets
    back released: one another thread held at fork time would stay held forever there
    (the child has only the forking thread). For locks that live as long as the process."""
    lock = threading.RLock() if reentrant else threading.Lock()
    _fork_safe.append(lock)
    return lock


def _release_in_child() -> None:
    for lock in _fork_safe:
        # What the standard library's own modules (logging, threading) do at fork.
        lock._at_fork_reinit()  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue]


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_release_in_child)

_seen: set[str] = set()
_lock = fork_safe_lock()


def raise_internal_errors() -> bool:
    return os.environ.get("SPANWISE_RAISE_INTERNAL_ERRORS", "").lower() in ("1", "true", "yes")


def _first_time(site: str) -> bool:
    with _lock:
        if site in _seen:
            return False
        _seen.add(site)
        return True


def report_internal_error(site: str, exc: BaseException) -> None:
    """Log an internal error once per ``site``; re-raise it when tests ask."""
    if raise_internal_errors():
        raise exc
    if _first_time(site):
        logger.warning(
            "spanwise: internal error in %s; the call proceeds untraced "
            "(further errors here are logged at DEBUG)",
            site,
            exc_info=exc,
        )
    else:
        logger.debug("spanwise: internal error in %s", site, exc_info=exc)


def warn_once(site: str, message: str, *args: object) -> None:
    """A user-facing warning (misuse, dropped data) logged once per ``site``."""
    if _first_time("warn:" + site):
        logger.warning(message, *args)
    else:
        logger.debug(message, *args)
