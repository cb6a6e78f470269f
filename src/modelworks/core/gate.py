"""The evaluation gate services share: no worse than the live model, or better than a baseline."""

from __future__ import annotations

from modelworks.core.service import GateDecision, Metrics


def gate_on_metric(metric: str, candidate: Metrics, live: Metrics | None, *, tolerance: float,
                   baseline_key: str, baseline_name: str) -> GateDecision:
    """Promote unless ``metric`` falls more than ``tolerance`` below the live model's.

    With no live model (or one measured without ``metric``), the candidate must beat the
    baseline figure it carries under ``baseline_key``, measured on the same held-out rows.
    """
    ours = candidate[metric]
    if live is None or metric not in live:
        prior = candidate[baseline_key]
        verdict = "beats" if ours > prior else "does not beat"
        return GateDecision(ours > prior, f"{metric} {ours:.4f} {verdict} {baseline_name} "
                                          f"{prior:.4f} on the same held-out split")
    floor = live[metric] - tolerance
    if ours >= floor:
        return GateDecision(True, f"{metric} {ours:.4f} is within {tolerance:g} of the live "
                                  f"model's {live[metric]:.4f} or better")
    return GateDecision(False, f"{metric} {ours:.4f} is more than {tolerance:g} below the live "
                               f"model's {live[metric]:.4f}; registered, not promoted")
