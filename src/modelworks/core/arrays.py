"""Arrays of registered versions, memory-mapped rather than read.

A mapped ``.npy`` file lives in the page cache once per machine: every worker process shares
its pages, where ``np.load`` would give each its own copy. Registry files are read-only, and
so are the mapped arrays.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray


def load_shared(path: Path) -> NDArray[Any]:
    """The array saved at ``path``, mapped read-only (never unpickled)."""
    array: NDArray[Any] = np.load(path, mmap_mode="r", allow_pickle=False)
    return array
