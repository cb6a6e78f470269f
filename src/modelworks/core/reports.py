"""Pictures of evaluations, shared by the services that store them and the dashboard."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from modelworks.core.registry import Manifest

REPORT_SUFFIXES = (".png", ".svg", ".html", ".pdf")
"""Report files of versions registered before the manifest named its reports."""


def report_names(manifest: Manifest) -> list[str]:
    """The files of a version that are reports (figures, pages), not the model."""
    named = manifest.notes.get("reports")
    if isinstance(named, list):
        return [str(name) for name in named]
    return sorted(name for name in manifest.files if name.endswith(REPORT_SUFFIXES))


def confusion_png(matrix: list[list[int]], labels: list[str], title: str) -> bytes:
    """A confusion matrix (counts, true classes as rows, ``labels`` in order) drawn as a PNG."""
    import matplotlib

    matplotlib.use("Agg")  # no display: files only
    import matplotlib.pyplot as plt

    counts = np.asarray(matrix)
    # Sized for category names read at a glance: 11-point ticks at 110 dpi are ~17 px.
    figure, axes = plt.subplots(figsize=(13, 12), dpi=110)
    axes.imshow(counts, cmap="Blues")
    axes.set_xticks(range(len(labels)), labels, rotation=60, ha="right", fontsize=11)
    axes.set_yticks(range(len(labels)), labels, fontsize=11)
    axes.set_xlabel("predicted", fontsize=13)
    axes.set_ylabel("true", fontsize=13)
    axes.set_title(title, fontsize=14)
    threshold = counts.max() / 2 if counts.size else 0
    for (row, column), value in np.ndenumerate(counts):
        if value:
            axes.text(column, row, str(value), ha="center", va="center", fontsize=10,
                      color="white" if value > threshold else "black")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return buffer.getvalue()
