"""The registered resume model: one classifier, answering over all 14 categories."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from modelworks.services.resumes.models import ResumeClassifier, load_classifier
from modelworks.services.resumes.vocabulary import CATEGORIES


@dataclass(frozen=True)
class Classified:
    """One resume's answer."""

    label: int
    category: str
    probability: float
    probabilities: dict[str, float]


class ResumeModel:
    """A fitted classifier of any kind; probabilities always cover every category.

    ``baseline_`` is the Naive Bayes baseline fitted on the same rows, kept in memory only so
    that evaluation can report it beside ours; it is not saved.
    """

    def __init__(self, classifier: ResumeClassifier,
                 baseline: ResumeClassifier | None = None) -> None:
        self.classifier_ = classifier
        self.baseline_ = baseline

    @property
    def kind(self) -> str:
        """The classifier's kind (``naive-bayes``, ``tfidf-logistic``, ``minilm-logistic``)."""
        return self.classifier_.kind

    def get_params(self) -> dict[str, Any]:
        """The kind and the classifier's parameters (recorded in the registry)."""
        return {"kind": self.kind, **self.classifier_.get_params()}

    def save(self, folder: Path) -> None:
        """The classifier's arrays and JSON."""
        self.classifier_.save(folder)

    @classmethod
    def load(cls, folder: Path) -> ResumeModel:
        """Load a saved classifier of whichever kind."""
        return cls(load_classifier(folder))

    def predict_proba(self, texts: list[str]) -> NDArray[np.float64]:
        """Resumes x 14 categories; a category absent from training gets probability 0."""
        return _widen(self.classifier_, texts)

    def predict(self, texts: list[str]) -> NDArray[np.int64]:
        """The most probable category id of each resume."""
        return np.asarray(self.predict_proba(texts).argmax(axis=1), dtype=np.int64)

    def classify(self, texts: list[str]) -> list[Classified]:
        """Label, category name and probabilities of each resume."""
        results = []
        for row in self.predict_proba(texts):
            label = int(row.argmax())
            results.append(Classified(
                label=label, category=CATEGORIES[label], probability=round(float(row[label]), 4),
                probabilities={name: round(float(p), 4)
                               for name, p in zip(CATEGORIES, row, strict=True)}))
        return results

    def baseline_predict(self, texts: list[str]) -> NDArray[np.int64] | None:
        """The baseline's predictions, when it was fitted alongside."""
        if self.baseline_ is None:
            return None
        return np.asarray(_widen(self.baseline_, texts).argmax(axis=1), dtype=np.int64)


def _widen(classifier: ResumeClassifier, texts: list[str]) -> NDArray[np.float64]:
    known = classifier.predict_proba(texts)
    full = np.zeros((len(texts), len(CATEGORIES)), dtype=np.float64)
    full[:, classifier.classes_] = known
    return full
