"""The time one request may compute, checked by long-running model code between batches.

The server gives every request a ``Budget``; code that loops over batches (the encoder, the
genres ranker) calls ``check_budget()`` between them, so a request past its deadline, or whose
client has gone, stops within one batch instead of running to the end in a thread nobody waits
for. Outside a request (training, the CLI) there is no budget and the check does nothing.
"""

from __future__ import annotations

import time
from contextvars import ContextVar

from modelworks.core.errors import ClientGone, DeadlineExceeded


class Budget:
    """A deadline and a stop signal for one request's work."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        # A plain flag, not a threading.Event: nothing waits on it, work only polls it, and
        # one Event (a lock and a condition) per request is a cost every request pays.
        self._stopped = False

    def stop(self) -> None:
        """The client has gone: whatever still runs for it should stop."""
        self._stopped = True

    @property
    def stopped(self) -> bool:
        """Whether ``stop`` was called."""
        return self._stopped

    def check(self) -> None:
        """Raise if the work should stop now."""
        if self._stopped:
            raise ClientGone("the client closed the connection; the work was stopped")
        if time.monotonic() > self.deadline:
            raise DeadlineExceeded(
                f"the request took longer than {self.seconds:g} s and was stopped: send less "
                "per request, or raise MODELWORKS_REQUEST_TIMEOUT_SECONDS")


current_budget: ContextVar[Budget | None] = ContextVar("modelworks_budget", default=None)


def check_budget() -> None:
    """Raise if the current request's work should stop; nothing outside a request."""
    budget = current_budget.get()
    if budget is not None:
        budget.check()
