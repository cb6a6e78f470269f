"""Progress reporting from long steps (training) to whoever watches (CLI bar, job record)."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    """Receives ``(step, fraction)``: a short step name and overall completion in [0, 1]."""

    def __call__(self, step: str, fraction: float) -> None:
        """Report that ``step`` is under way and the whole task is ``fraction`` done."""


def no_progress(step: str, fraction: float) -> None:
    """Progress sink that ignores every report."""
