"""Genres quality and speed on the reference split of ../shared (run with `make bench`).

Train on ``crc32(movie_id) % 10 < 8`` of the 10,000 reference movies, test on the rest; report
MAP@5 of the baseline (TF-IDF + one-vs-rest logistic regression, library defaults) and of our
model, our training time, and prediction throughput for the held-out rows.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier

from modelworks.core.encoders.minilm import StaticEmbedder, ensure_minilm_assets
from modelworks.core.evaluation import mean_average_precision_at_k
from modelworks.services.genres.data import read_movies
from modelworks.services.genres.model import GenreClassifier
from tests.conftest import is_train, movies_csv, reference_rows


def main() -> None:
    rows = reference_rows()
    train = read_movies(movies_csv([r for r in rows if is_train(r["movie_id"])]), with_genres=True)
    test = read_movies(movies_csv([r for r in rows if not is_train(r["movie_id"])]),
                       with_genres=True)
    labels = sorted({g for genres in train.genres for g in genres})
    truth = np.array([[label in genres for label in labels] for genres in test.genres])
    y = np.array([[label in genres for label in labels] for genres in train.genres])

    vectorizer = TfidfVectorizer()
    baseline = OneVsRestClassifier(LogisticRegression(max_iter=1000))
    baseline.fit(vectorizer.fit_transform(train.synopses), y)
    baseline_scores = baseline.predict_proba(vectorizer.transform(test.synopses))

    assets = ensure_minilm_assets(Path(tempfile.gettempdir()) / "modelworks-bench-assets")
    embedder = StaticEmbedder(np.load(assets.static_path), assets.tokenizer_path)
    started = time.perf_counter()
    model = GenreClassifier(embedder).fit(train.synopses, train.years, train.genres)
    train_seconds = time.perf_counter() - started
    assert model.labels_ == labels
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        scores = model.predict_proba(test.synopses, test.years)
        timings.append(time.perf_counter() - started)
    predict_seconds = float(np.median(timings))
    report = {
        "train_rows": len(train), "test_rows": len(test),
        "baseline_map@5": round(mean_average_precision_at_k(baseline_scores, truth, 5), 4),
        "ours_map@5": round(mean_average_precision_at_k(scores, truth, 5), 4),
        "ours_train_seconds": round(train_seconds, 1),
        "ours_predict_seconds_median_of_5": round(predict_seconds, 3),
        "ours_synopses_per_second": round(len(test) / predict_seconds),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
