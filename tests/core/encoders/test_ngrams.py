"""The scikit-learn-free n-gram features must equal scikit-learn's on real texts."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer, TfidfVectorizer

from modelworks.core.encoders.ngrams import SublinearTfidf, WordNgrams
from tests.conftest import SHARED, reference_rows

RESUMES = sorted((SHARED / "resume-classifier" / "samples").glob("*.txt"))


def real_texts() -> list[str]:
    resumes = [path.read_text(encoding="utf-8") for path in RESUMES]
    synopses = [row["synopsis"] for row in reference_rows()[:300]]
    odd = ["", "a", "C++ and C# and .NET", "naïve café ÉLAN straße", "x" * 5000,
           "Data  data DATA\tdata\nanalyst", "the and of a to", "x_1 ab_cd 42 ٣٤ 中文 a-b"]
    return [*resumes, *synopses, *odd]


def dense(columns: np.ndarray, values: np.ndarray, width: int) -> np.ndarray:
    row = np.zeros(width)
    row[columns] = values
    return row


@pytest.mark.parametrize(("ngram_range", "stop_words"),
                         [((1, 1), None), ((1, 2), None), ((1, 3), "english")])
def test_counts_equal_count_vectorizer(ngram_range: tuple[int, int],
                                       stop_words: str | None) -> None:
    texts = real_texts()
    assert len(RESUMES) >= 10
    reference = CountVectorizer(ngram_range=ngram_range, stop_words=stop_words, min_df=2)
    expected = reference.fit_transform(texts).toarray()
    ngrams = WordNgrams(reference.vocabulary_, ngram_range,
                        ENGLISH_STOP_WORDS if stop_words else ())
    ours = np.vstack([dense(*ngrams.count(text), len(reference.vocabulary_)) for text in texts])
    np.testing.assert_array_equal(ours, expected)
    assert expected.sum() > 10_000  # the texts really use the vocabulary


def test_sublinear_tfidf_equals_tfidf_vectorizer() -> None:
    texts = real_texts()
    reference = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=3)
    expected = reference.fit_transform(texts).toarray()
    tfidf = SublinearTfidf(WordNgrams(reference.vocabulary_, (1, 2)), reference.idf_)
    ours = np.vstack([dense(*tfidf.weights(text), len(reference.vocabulary_)) for text in texts])
    np.testing.assert_allclose(ours, expected, rtol=1e-12, atol=1e-15)
    assert not ours[texts.index("")].any()  # no term: a zero row, not a division by zero
