"""glibc heap settings that keep forked workers small.

Every request thread gets its own malloc arena by default, and an arena keeps the memory its
largest request needed; with dozens of threads per worker that is tens of MB of private memory
that no request uses. Two arenas per process, and handing free pages back to the kernel every
few seconds, keep a worker's private memory near what it really holds. Elsewhere than glibc
both are no-ops.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import time

log = logging.getLogger(__name__)
_M_ARENA_MAX = -8  # mallopt parameter number, from glibc's malloc.h


def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        libc = ctypes.CDLL(name)
    except OSError:
        return None
    return libc if hasattr(libc, "malloc_trim") and hasattr(libc, "mallopt") else None


def limit_arenas(arenas: int = 2) -> None:
    """Cap malloc arenas per process; call before the process starts threads."""
    libc = _libc()
    if libc is not None and not libc.mallopt(_M_ARENA_MAX, arenas):
        log.warning("mallopt(M_ARENA_MAX) was refused")


class HeapTrimmer:
    """Returns free heap pages to the kernel at most every ``interval`` seconds."""

    def __init__(self, interval: float = 10.0) -> None:
        self.interval = interval
        self._libc = _libc()
        self._last = time.monotonic()

    def __call__(self) -> None:
        """Trim if the interval has passed (a periodic task of the server)."""
        now = time.monotonic()
        if self._libc is None or now - self._last < self.interval:
            return
        self._last = now
        self._libc.malloc_trim(0)
