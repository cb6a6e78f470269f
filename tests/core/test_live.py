"""The live model: a load is the server's work, whatever request set it off."""

from __future__ import annotations

from pathlib import Path

from modelworks.core.budget import Budget, check_budget, current_budget
from modelworks.core.live import LiveModel
from modelworks.core.registry import Registry


class _Echo:
    """A service whose warm-up checks the request budget, as long-running models do."""

    name = "echo"

    def load_model(self, folder: Path) -> str:
        return (folder / "weights.txt").read_text()

    def warm_up(self, model: str) -> None:
        check_budget()


def test_a_refresh_set_off_by_a_request_past_its_deadline_still_loads(tmp_path: Path) -> None:
    registry = Registry(tmp_path)
    registry.register("echo", lambda folder: (folder / "weights.txt").write_text("v1"),
                      metrics={}, params={}, data_sha256="", n_rows=0)
    registry.promote("echo", 1)
    live: LiveModel[str] = LiveModel(_Echo(), registry)  # type: ignore[arg-type]
    # A training request that waited longer than its budget, then asked for the swap.
    expired = Budget(0.001)
    expired.deadline = 0.0
    token = current_budget.set(expired)
    try:
        assert live.refresh() is True
    finally:
        current_budget.reset(token)
    assert live.last_error is None
    assert live.current().model == "v1"
    assert current_budget.get() is None
