"""Training data of the resumes service: a CSV ``resume,label``, read strictly, split fixedly."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from modelworks.core.errors import DataError
from modelworks.core.tabular import read_csv
from modelworks.services.resumes.vocabulary import CATEGORIES

if TYPE_CHECKING:
    from modelworks.services.resumes.generator import ResumeConfig

DATA_FILE = "resumes.csv"
HOLDOUT_FRACTION = 0.2
SPLIT_SEED = 42


@dataclass(frozen=True)
class Resumes:
    """Resume texts and their category ids (0-13, the order of ``CATEGORIES``)."""

    texts: list[str]
    labels: NDArray[np.int64]

    def __len__(self) -> int:
        return len(self.texts)

    def subset(self, rows: NDArray[np.int64]) -> Resumes:
        """The resumes at ``rows``."""
        return Resumes([self.texts[i] for i in rows], self.labels[rows])


def read_resumes(raw: bytes) -> Resumes:
    """Validate a ``resume,label`` CSV; ``DataError`` names the first bad row."""
    texts: list[str] = []
    labels: list[int] = []
    for row in read_csv(raw, ["resume", "label"]):
        text, label = row.values["resume"], row.values["label"].strip()
        if not text.strip():
            raise DataError(f"{row.where}: the resume is empty")
        try:
            label_id = int(label)
        except ValueError as exc:
            raise DataError(f"{row.where}: label {label!r} is not an integer id 0-"
                            f"{len(CATEGORIES) - 1}") from exc
        if not 0 <= label_id < len(CATEGORIES):
            raise DataError(f"{row.where}: label {label_id} is outside 0-{len(CATEGORIES) - 1}")
        texts.append(text)
        labels.append(label_id)
    counts = np.bincount(labels, minlength=len(CATEGORIES))
    if np.count_nonzero(counts) < 2:
        raise DataError("the data holds fewer than two categories; a classifier needs at least two")
    if counts[counts > 0].min() < 2:
        thin = [CATEGORIES[i] for i in np.flatnonzero(counts == 1)]
        raise DataError(f"every category present needs at least two resumes for the held-out "
                        f"split; only one of: {', '.join(thin)}")
    return Resumes(texts, np.asarray(labels, dtype=np.int64))


def content_sha256(raw: bytes) -> str:
    """Hex sha256 of the training file, recorded in the registry."""
    return hashlib.sha256(raw).hexdigest()


def holdout_split(resumes: Resumes) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Row indices of a fixed stratified split: 80% train, 20% held out (seed 42)."""
    from sklearn.model_selection import train_test_split  # training only: not in serving

    rows = np.arange(len(resumes), dtype=np.int64)
    train, held = train_test_split(rows, test_size=HOLDOUT_FRACTION, random_state=SPLIT_SEED,
                                   stratify=resumes.labels)
    return np.sort(train), np.sort(held)


def prepare_default_data(data_dir: Path, config: ResumeConfig | None = None) -> Path:
    """Generate the default resumes once (1,600, seed 42) and return the CSV's path."""
    from modelworks.services.resumes.generator import ResumeConfig, generate_resumes, resumes_csv

    path = data_dir / "resumes" / DATA_FILE
    if path.exists() and config is None:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".tmp")
    partial.write_bytes(resumes_csv(generate_resumes(config or ResumeConfig())))
    partial.replace(path)
    return path
