"""Which model version each worker process of a server serves, for ``GET /models/{service}``.

Each worker writes a small JSON file into the run folder its server shares when what it serves
changes; readers skip files of processes that are gone. A single-process server has no run
folder and reports only itself.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from modelworks.core.live import LiveModel


class WorkerStatus:
    """Publishes this worker's loaded versions and errors; reads every live worker's."""

    def __init__(self, run_dir: Path | None) -> None:
        self._folder = run_dir / "workers" if run_dir else None
        self._published: dict[str, Any] | None = None
        self._lock = threading.Lock()  # the poller and request threads both publish

    def snapshot(self, live: dict[str, LiveModel[Any]]) -> dict[str, Any]:
        """The loaded version and last error of each service in the calling process."""
        return {name: {"loaded": model.version, "last_error": model.last_error}
                for name, model in live.items()}

    def publish(self, live: dict[str, LiveModel[Any]]) -> None:
        """Write this worker's state if it changed since the last write (atomic rename)."""
        if self._folder is None:
            return
        with self._lock:
            state = self.snapshot(live)
            if state == self._published:
                return
            target = self._folder / f"{os.getpid()}.json"
            staging = target.with_suffix(".tmp")
            staging.write_text(json.dumps(state))
            os.replace(staging, target)
            self._published = state

    def workers(self, live: dict[str, LiveModel[Any]], service: str) -> dict[str, Any]:
        """``{pid: {"loaded", "last_error"}}`` for ``service`` in every running worker."""
        found = {str(os.getpid()): self.snapshot(live)[service]}
        if self._folder is None:
            return found
        for path in self._folder.glob("*.json"):
            pid = int(path.stem)
            if str(pid) in found or not _running(pid):
                continue
            try:
                state = json.loads(path.read_text())
            except (OSError, ValueError):  # replaced or removed while we read it
                continue
            if service in state:
                found[str(pid)] = state[service]
        return dict(sorted(found.items()))


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process reusing the id: not one of ours
        return False
    return True
