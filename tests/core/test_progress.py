"""``creeping``: the bar moves while an opaque call runs, and never claims it is done early."""

from __future__ import annotations

import time

from modelworks.core.progress import creeping


def test_the_bar_creeps_toward_the_end_while_the_call_runs() -> None:
    reports: list[tuple[str, float]] = []
    with creeping(lambda step, fraction: reports.append((step, fraction)), "fitting", 0.2, 0.6,
                  expected_seconds=0.3, tick_seconds=0.05):
        time.sleep(1.0)
    steps = {step for step, _ in reports}
    fractions = [fraction for _, fraction in reports]
    assert steps == {"fitting"}
    assert fractions[0] == 0.2
    assert fractions[-1] == 0.6
    during = fractions[1:-1]
    assert len(during) >= 5
    assert during == sorted(during)  # it only moves forward
    assert during[0] > 0.2
    assert max(during) <= 0.2 + 0.4 * 0.95  # short of the end until the call returns
    assert max(during) > 0.5  # well past the middle after three expected times


def test_a_failing_call_stops_the_ticker() -> None:
    reports: list[float] = []
    try:
        with creeping(lambda _, fraction: reports.append(fraction), "fitting", 0.0, 1.0,
                      expected_seconds=1.0, tick_seconds=0.01):
            raise ValueError("solver failed")
    except ValueError:
        pass
    seen = len(reports)
    time.sleep(0.1)
    assert len(reports) == seen  # nothing reports after the call ended
