"""Arrays of registered versions, memory-mapped rather than read.

A mapped ``.npy`` file lives in the page cache once per machine: every worker process shares
its pages, where ``np.load`` would give each its own copy. Registry files are read-only, and
so are the mapped arrays. They are handed out as plain ``ndarray`` views of the mapping:
every slice of an ``np.memmap`` is another memmap, built through Python-level hooks, which
cost a lookup service about 5% of its time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray


def load_shared(path: Path) -> NDArray[Any]:
    """The array saved at ``path``, mapped read-only (never unpickled)."""
    mapped = np.load(path, mmap_mode="r", allow_pickle=False)
    array: NDArray[Any] = np.asarray(mapped)  # a view: the mapping stays open through .base
    return array
