"""The resume generator: reproducible, every category present, hard enough for a baseline."""

from __future__ import annotations

import csv
import io

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.metrics import f1_score
from sklearn.model_selection import train_test_split
from sklearn.naive_bayes import MultinomialNB
from sklearn.pipeline import make_pipeline

from modelworks.services.resumes.generator import ResumeConfig, generate_resumes, resumes_csv
from modelworks.services.resumes.vocabulary import CATEGORIES


def test_the_same_seed_gives_the_same_resumes_and_another_seed_others() -> None:
    small = ResumeConfig(n_resumes=60)
    assert generate_resumes(small) == generate_resumes(small)
    assert generate_resumes(small) != generate_resumes(ResumeConfig(n_resumes=60, seed=1))


def test_resumes_have_the_usual_sections_and_round_trip_through_csv() -> None:
    rows = generate_resumes(ResumeConfig(n_resumes=200))
    assert {label for _, label in rows} == set(range(len(CATEGORIES)))
    for text, _ in rows[:20]:
        for section in ("SUMMARY", "TECHNICAL SKILLS", "PROFESSIONAL EXPERIENCE", "EDUCATION"):
            assert section in text
        assert " - Present" in text
    parsed = list(csv.DictReader(io.StringIO(resumes_csv(rows).decode())))
    assert [(r["resume"], int(r["label"])) for r in parsed] == rows


def test_a_naive_bayes_baseline_is_good_but_not_perfect() -> None:
    rows = generate_resumes(ResumeConfig())
    texts = [text for text, _ in rows]
    labels = np.array([label for _, label in rows])
    train_x, test_x, train_y, test_y = train_test_split(texts, labels, test_size=0.2,
                                                        random_state=0, stratify=labels)
    baseline = make_pipeline(CountVectorizer(), MultinomialNB()).fit(train_x, train_y)
    score = f1_score(test_y, baseline.predict(test_x), average="weighted")
    assert 0.82 <= score <= 0.92, score  # the issue asks for roughly 0.85-0.90
