"""A module-level lock held by another thread at fork time is released in the child."""

from __future__ import annotations

import os
import threading

import pytest

from spanwise.common import _content, _safety
from spanwise.exporter import _stores


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
@pytest.mark.parametrize(
    "lock",
    [_safety.fork_safe_lock(), _content._lock, _stores._lock],
    ids=["new", "content", "reentrant"],
)  # pyright: ignore[reportPrivateUsage]
def test_a_lock_held_at_fork_is_free_in_the_child(lock: threading.Lock) -> None:
    held, release = threading.Event(), threading.Event()

    def holder() -> None:
        with lock:
            held.set()
            release.wait(10)

    thread = threading.Thread(target=holder)
    thread.start()
    assert held.wait(5)
    try:
        pid = os.fork()
        if pid == 0:  # the child: the holder thread does not exist here
            got = lock.acquire(timeout=2)
            os._exit(0 if got else 1)
        _, status = os.waitpid(pid, 0)
    finally:
        release.set()
        thread.join(5)
    assert os.waitstatus_to_exitcode(status) == 0, "the child found the lock still held"
