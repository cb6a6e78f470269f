"""Facts about processes on this host."""

from __future__ import annotations

import os


def process_running(pid: int) -> bool:
    """Whether a process with ``pid`` exists on this host (it may belong to someone else)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
