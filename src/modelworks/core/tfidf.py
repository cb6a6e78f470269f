"""The transform of a fitted scikit-learn ``TfidfVectorizer``, without importing scikit-learn.

Importing scikit-learn takes about a second (it brings pandas and scipy.stats with it), half of
a genres server's cold start, while serving needs only the transform of vectorizers fitted at
training. ``FittedTfidf`` replays the two analyzers the genres model uses, scikit-learn's
"word" (token pattern, stop words, word n-grams) and "char_wb" (character n-grams inside
words), then sublinear counts, the idf and the l2 norm, from the saved vocabulary and idf. A
test holds its output equal to scikit-learn's on real synopses; training still fits with
scikit-learn.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

WORD_PATTERN = r"(?u)\b\w\w+\b"
"""scikit-learn's default ``token_pattern``."""


class FittedTfidf:
    """A fitted vectorizer's ``transform``: documents to l2-normalised TF-IDF rows (CSR)."""

    def __init__(self, vocabulary: dict[str, int], idf: NDArray[np.float64], *,
                 analyzer: str = "word", ngram_range: Sequence[int] = (1, 1),
                 lowercase: bool = True, sublinear_tf: bool = False,
                 stop_words: Iterable[str] | None = None,
                 token_pattern: str = WORD_PATTERN) -> None:
        if analyzer not in ("word", "char_wb"):
            raise ValueError(f"analyzer {analyzer!r} is not replayed; use 'word' or 'char_wb'")
        self.vocabulary_ = vocabulary
        self.idf_ = idf
        self.analyzer = analyzer
        self.min_n, self.max_n = ngram_range
        self.lowercase = lowercase
        self.sublinear_tf = sublinear_tf
        self.stop_words = frozenset(stop_words or ())
        self._tokens = re.compile(token_pattern)

    def transform(self, documents: Sequence[str]) -> Any:
        """One row per document over the fitted vocabulary (a ``scipy.sparse.csr_matrix``)."""
        rows: list[int] = []
        columns: list[int] = []
        values: list[float] = []
        vocabulary = self.vocabulary_
        for row, document in enumerate(documents):
            counts = Counter(term for term in self._terms(document) if term in vocabulary)
            for term, count in counts.items():
                rows.append(row)
                columns.append(vocabulary[term])
                values.append(1.0 + math.log(count) if self.sublinear_tf else float(count))
        matrix = sparse.csr_matrix((values, (rows, columns)),
                                   shape=(len(documents), len(self.idf_)), dtype=np.float64)
        matrix = matrix @ sparse.diags(np.asarray(self.idf_, dtype=np.float64))
        norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
        norms[norms == 0.0] = 1.0
        normalised = sparse.diags(1.0 / norms) @ matrix
        return sparse.csr_matrix(normalised)

    def _terms(self, document: str) -> list[str]:
        text = document.lower() if self.lowercase else document
        if self.analyzer == "char_wb":
            return _char_wb_ngrams(text, self.min_n, self.max_n)
        tokens = [token for token in self._tokens.findall(text) if token not in self.stop_words]
        return _word_ngrams(tokens, self.min_n, self.max_n)


def _word_ngrams(tokens: list[str], min_n: int, max_n: int) -> list[str]:
    """Word n-grams of the tokens left after stop words, as scikit-learn forms them."""
    terms = list(tokens) if min_n == 1 else []
    for n in range(max(min_n, 2), min(max_n, len(tokens)) + 1):
        terms += [" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]
    return terms


def _char_wb_ngrams(text: str, min_n: int, max_n: int) -> list[str]:
    """Character n-grams of each space-padded word; a word shorter than ``n`` counts once."""
    terms: list[str] = []
    for word in text.split():
        padded = f" {word} "
        for n in range(min_n, max_n + 1):
            if len(padded) <= n:  # the whole padded word, once, then no longer n-grams
                terms.append(padded)
                break
            terms += [padded[i:i + n] for i in range(len(padded) - n + 1)]
    return terms
