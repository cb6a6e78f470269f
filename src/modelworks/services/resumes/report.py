"""How good a resume classifier is: headline metrics, a per-class report, a confusion matrix."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.metrics import accuracy_score, classification_report, confusion_matrix, f1_score

from modelworks.services.resumes.vocabulary import CATEGORIES

_LABELS = list(range(len(CATEGORIES)))


def headline(truth: NDArray[np.int64], predicted: NDArray[np.int64]) -> dict[str, float]:
    """Weighted F1 (the primary metric), macro F1 and accuracy, rounded to 4 places."""
    return {
        "weighted_f1": round(float(f1_score(truth, predicted, average="weighted",
                                            zero_division=0)), 4),
        "macro_f1": round(float(f1_score(truth, predicted, average="macro", zero_division=0)), 4),
        "accuracy": round(float(accuracy_score(truth, predicted)), 4),
    }


def details(truth: NDArray[np.int64], predicted: NDArray[np.int64]) -> dict[str, Any]:
    """Per-category precision, recall, F1 and support, and the confusion matrix (JSON-ready).

    Rows of the matrix are true categories, columns predicted ones, both in id order.
    """
    report = classification_report(truth, predicted, labels=_LABELS, target_names=CATEGORIES,
                                   output_dict=True, zero_division=0)
    per_class = [{"category": name, "precision": round(report[name]["precision"], 4),
                  "recall": round(report[name]["recall"], 4),
                  "f1": round(report[name]["f1-score"], 4),
                  "support": int(report[name]["support"])} for name in CATEGORIES]
    matrix = confusion_matrix(truth, predicted, labels=_LABELS)
    return {"categories": list(CATEGORIES), "per_class": per_class,
            "confusion_matrix": matrix.astype(int).tolist()}

