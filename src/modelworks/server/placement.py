"""Where a CPU-bound model call runs: on the event loop when it is short, else in the pool.

Handing a call to the thread pool and back costs two thread switches, and on a busy core a
wait for the GIL: for a model that answers in a tenth of a millisecond (one short resume) that
hop was a fifth of a lone request's time. A call predicted to take less than
``MODELWORKS_INLINE_MS`` runs on the event loop instead, as a plain FastAPI ``async def`` route
would run it; longer ones keep the loop free. The prediction is the requests' size times the
measured time per kilobyte of this endpoint's recent calls (the median of the last few, every
request counted as at least one kilobyte), so a long text or a large batch is sent to the pool
even when the short calls before it ran inline. A median, not a moving average: on a shared
machine a call stalls now and then (the hypervisor takes the core, a garbage collection runs),
and one stall of 50 ms would lift an average enough to send the next dozen short calls through
the pool; the median moves only when half of the recent calls are slow, which a model that
really turned slow makes true within a few calls.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Sequence
from typing import TYPE_CHECKING, TypeVar

from fastapi.concurrency import run_in_threadpool

if TYPE_CHECKING:
    from collections.abc import Callable

T = TypeVar("T")

_RECENT_CALLS = 9
"""How many of the latest calls the estimate is the median of."""


class Placement:
    """Runs one endpoint's model calls inline or in the thread pool, by their predicted time."""

    def __init__(self, inline_seconds: float) -> None:
        self.inline_seconds = inline_seconds
        self.seconds_per_kb: float | None = None
        """Median time per kilobyte of requests of the recent calls; ``None`` until the first
        call, which runs in the pool."""
        self._recent: deque[float] = deque(maxlen=_RECENT_CALLS)

    def predicted_seconds(self, body_sizes: Sequence[int]) -> float | None:
        """How long a call for requests of these body sizes should take, once one was timed."""
        if self.seconds_per_kb is None:
            return None
        return self.seconds_per_kb * _kilobytes(body_sizes)

    def inline(self, body_sizes: Sequence[int]) -> bool:
        """Whether a call for requests of these body sizes runs on the event loop."""
        predicted = self.predicted_seconds(body_sizes)
        return predicted is not None and predicted < self.inline_seconds

    async def run(self, body_sizes: Sequence[int], call: Callable[..., T], *args: object,
                  inline: bool | None = None) -> T:
        """``call(*args)``, inline or in the pool, timed to refine the next prediction.

        ``inline``: the answer of ``self.inline(body_sizes)`` where the caller already asked.
        """
        if self.inline(body_sizes) if inline is None else inline:
            return self._timed(body_sizes, call, *args)
        return await run_in_threadpool(self._timed, body_sizes, call, *args)

    def _timed(self, body_sizes: Sequence[int], call: Callable[..., T], *args: object) -> T:
        started = time.perf_counter()
        try:
            return call(*args)
        finally:
            self._recent.append((time.perf_counter() - started) / _kilobytes(body_sizes))
            self.seconds_per_kb = sorted(self._recent)[len(self._recent) // 2]


def _kilobytes(body_sizes: Sequence[int]) -> float:
    return sum(max(size, 1024) for size in body_sizes) / 1024
