"""The seeded train / held-out split of users that services measure their models on."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def holdout_users(n_users: int, fraction: float = 0.2, seed: int = 42
                  ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """A seeded shuffle of user positions: ``(train, held_out)``, each sorted."""
    order = np.random.default_rng(seed).permutation(n_users)
    n_held = max(1, round(n_users * fraction))
    return np.sort(order[n_held:]), np.sort(order[:n_held])
