"""Resume models: one interface, ours beats the baseline, real samples, round trips."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import f1_score

from modelworks.core.encoders.minilm import MiniLMAssets, StaticEmbedder
from modelworks.services.resumes.data import holdout_split, read_resumes
from modelworks.services.resumes.generator import ResumeConfig, generate_resumes, resumes_csv
from modelworks.services.resumes.models import (
    MiniLMLogistic,
    NaiveBayes,
    ResumeClassifier,
    TfidfLogistic,
)
from modelworks.services.resumes.vocabulary import CATEGORIES
from tests.conftest import SHARED

SAMPLES = SHARED / "resume-classifier" / "samples"


def sample_file(category: str) -> Path:
    name = "DOT_NET_DEVELOPER" if category == ".Net Developer" else "_".join(
        category.upper().split())
    return SAMPLES / f"{name}.txt"


@pytest.fixture(scope="module")
def split() -> tuple[list[str], list[str], np.ndarray, np.ndarray]:
    resumes = read_resumes(resumes_csv(generate_resumes(ResumeConfig())))
    train, held = holdout_split(resumes)  # the service's fixed 20% split
    return (resumes.subset(train).texts, resumes.subset(held).texts, resumes.labels[train],
            resumes.labels[held])


@pytest.fixture(scope="module")
def embedder(minilm_assets: MiniLMAssets) -> StaticEmbedder:
    table = np.load(minilm_assets.static_path, allow_pickle=False)
    return StaticEmbedder(table, minilm_assets.tokenizer_path)


def weighted_f1(model: ResumeClassifier, texts: list[str], labels: np.ndarray) -> float:
    predicted = model.classes_[model.predict_proba(texts).argmax(axis=1)]
    return float(f1_score(labels, predicted, average="weighted"))


def test_tfidf_beats_the_baseline_and_names_most_real_resumes(
        split: tuple[list[str], list[str], np.ndarray, np.ndarray]) -> None:
    train_x, test_x, train_y, test_y = split
    baseline = NaiveBayes().fit(train_x, train_y)
    ours = TfidfLogistic().fit(train_x, train_y)
    assert weighted_f1(ours, test_x, test_y) >= weighted_f1(baseline, test_x, test_y) + 0.03
    real = [sample_file(c).read_text(encoding="utf-8", errors="replace") for c in CATEGORIES]
    named = ours.classes_[ours.predict_proba(real).argmax(axis=1)]
    assert (named == np.arange(len(CATEGORIES))).sum() >= 12


@pytest.mark.parametrize("kind", ["naive-bayes", "tfidf-logistic", "minilm-logistic"])
def test_every_model_round_trips_through_its_files(
        kind: str, split: tuple[list[str], list[str], np.ndarray, np.ndarray],
        embedder: StaticEmbedder, tmp_path: Path) -> None:
    train_x, test_x, train_y, _ = split
    made: dict[str, ResumeClassifier] = {
        "naive-bayes": NaiveBayes(), "tfidf-logistic": TfidfLogistic(),
        "minilm-logistic": MiniLMLogistic(embedder)}
    model = made[kind].fit(train_x[:400], train_y[:400])
    before = model.predict_proba(test_x[:30])
    np.testing.assert_allclose(before.sum(axis=1), 1.0, rtol=1e-9)
    model.save(tmp_path)
    loader = {"naive-bayes": NaiveBayes.load, "tfidf-logistic": TfidfLogistic.load,
              "minilm-logistic": MiniLMLogistic.load}[kind]
    np.testing.assert_allclose(loader(tmp_path).predict_proba(test_x[:30]), before,
                               rtol=1e-6, atol=1e-9)
