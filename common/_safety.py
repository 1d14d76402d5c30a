"""Never break the host application.

spanwise's own failures are caught at each site, logged once per site (WARNING the
first time, DEBUG after), and the traced call proceeds untraced. Under tests
(``SPANWISE_RAISE_INTERNAL_ERRORS=1``) they re-raise so that they are seen.
"""

from __future__ import annotations

import logging
import os
import threading

__all__ = ["logger", "raise_internal_errors", "report_internal_error", "warn_once"]

logger = logging.getLogger("spanwise")

_seen: set[str] = set()
_lock = threading.Lock()


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
