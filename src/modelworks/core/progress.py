"""Progress reporting from long steps (training) to whoever watches (CLI bar, job record)."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol


class Progress(Protocol):
    """Receives ``(step, fraction)``: a short step name and overall completion in [0, 1]."""

    def __call__(self, step: str, fraction: float) -> None:
        """Report that ``step`` is under way and the whole task is ``fraction`` done."""


def no_progress(step: str, fraction: float) -> None:
    """Progress sink that ignores every report."""


@contextmanager
def creeping(progress: Progress, step: str, start: float, end: float,
             expected_seconds: float, tick_seconds: float = 0.5) -> Iterator[None]:
    """Move the bar from ``start`` toward ``end`` while one opaque call runs (a solver's fit).

    Such a call says nothing until it returns, and a bar that stands still for a minute reads
    as a hang. The bar covers ``1 - exp(-t / expected_seconds)`` of the span (63% at the
    expected time), never more than 95% of it before the call returns, then reaches ``end``.
    """
    done = threading.Event()
    span = end - start

    def tick() -> None:
        began = time.monotonic()
        while not done.wait(tick_seconds):
            share = 1.0 - math.exp(-(time.monotonic() - began) / max(expected_seconds, 1e-3))
            progress(step, start + span * min(share, 0.95))

    progress(step, start)
    ticker = threading.Thread(target=tick, name="progress-ticker", daemon=True)
    ticker.start()
    try:
        yield
    finally:
        done.set()
        ticker.join()
    progress(step, end)
