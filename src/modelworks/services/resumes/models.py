"""Resume classifiers behind one small estimator interface.

Adding a model is one class with ``fit``, ``predict_proba``, ``save`` and ``load``. Each keeps
what it learned as arrays and a vocabulary, so a registered version is ``.npy`` + JSON and
loading never unpickles. Three kinds ship:

- ``naive-bayes`` (the baseline): word counts and multinomial Naive Bayes;
- ``tfidf-logistic``: sublinear TF-IDF of words and word pairs over the whole resume and over
  its opening statement, multinomial logistic regression;
- ``minilm-logistic``: static MiniLM token embeddings averaged over the resume (long texts
  cost no more than short ones), multinomial logistic regression.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Protocol, Self

import numpy as np
from numpy.typing import NDArray

from modelworks.core.arrays import load_shared
from modelworks.core.encoders.minilm import StaticEmbedder
from modelworks.core.encoders.ngrams import SublinearTfidf, WordNgrams

_META = "model.json"


class ResumeClassifier(Protocol):
    """What every resume model offers; ``kind`` names it in the registry and the dashboard."""

    kind: ClassVar[str]
    classes_: NDArray[np.int64]
    """Label ids in the column order of ``predict_proba`` (set by ``fit``)."""

    def fit(self, texts: list[str], labels: NDArray[np.int64]) -> Self:
        """Learn from resumes and their label ids."""

    def predict_proba(self, texts: list[str]) -> NDArray[np.float64]:
        """Resumes x categories probabilities (rows sum to one)."""

    def get_params(self) -> dict[str, Any]:
        """Constructor parameters."""

    def save(self, folder: Path) -> None:
        """Write arrays and JSON into ``folder``."""


def _softmax(scores: NDArray[np.float64]) -> NDArray[np.float64]:
    shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
    result: NDArray[np.float64] = shifted / shifted.sum(axis=1, keepdims=True)
    return result


def _write(folder: Path, meta: dict[str, Any], **arrays: NDArray[Any]) -> None:
    for name, array in arrays.items():
        np.save(folder / f"{name}.npy", array, allow_pickle=False)
    (folder / _META).write_text(json.dumps(meta))


def _read(folder: Path, *names: str) -> tuple[dict[str, Any], list[NDArray[Any]]]:
    meta = json.loads((folder / _META).read_text())
    return meta, [load_shared(folder / f"{name}.npy") for name in names]


class NaiveBayes:
    """Baseline: word counts and multinomial Naive Bayes."""

    kind: ClassVar[str] = "naive-bayes"

    def __init__(self, alpha: float = 1.0) -> None:
        self.alpha = alpha

    def get_params(self) -> dict[str, Any]:
        """Constructor parameters."""
        return {"alpha": self.alpha}

    def fit(self, texts: list[str], labels: NDArray[np.int64]) -> Self:
        """Count words, fit the class-conditional word distributions."""
        from sklearn.feature_extraction.text import CountVectorizer
        from sklearn.naive_bayes import MultinomialNB

        vectorizer = CountVectorizer()
        counts = vectorizer.fit_transform(texts)
        bayes = MultinomialNB(alpha=self.alpha).fit(counts, labels)
        self.vocabulary_ = {term: int(i) for term, i in vectorizer.vocabulary_.items()}
        self.classes_ = np.asarray(bayes.classes_, dtype=np.int64)
        self.word_log_prob_ = np.asarray(bayes.feature_log_prob_, dtype=np.float64)
        self.class_log_prior_ = np.asarray(bayes.class_log_prior_, dtype=np.float64)
        self.words_ = WordNgrams(self.vocabulary_)
        return self

    def predict_proba(self, texts: list[str]) -> NDArray[np.float64]:
        """Posterior over the classes seen in training."""
        scores = np.tile(self.class_log_prior_, (len(texts), 1))
        for row, text in enumerate(texts):
            columns, counts = self.words_.count(text)
            scores[row] += self.word_log_prob_[:, columns] @ counts
        return _softmax(scores)

    def save(self, folder: Path) -> None:
        """Vocabulary as JSON, the rest as arrays."""
        _write(folder, {"kind": self.kind, "params": self.get_params(),
                        "vocabulary": self.vocabulary_},
               classes=self.classes_, word_log_prob=self.word_log_prob_,
               class_log_prior=self.class_log_prior_)

    @classmethod
    def load(cls, folder: Path) -> NaiveBayes:
        """Read what ``save`` wrote."""
        meta, (classes, word_log_prob, prior) = _read(folder, "classes", "word_log_prob",
                                                      "class_log_prior")
        model = cls(**meta["params"])
        model.vocabulary_ = meta["vocabulary"]
        model.words_ = WordNgrams(model.vocabulary_)
        model.classes_, model.word_log_prob_, model.class_log_prior_ = (classes, word_log_prob,
                                                                        prior)
        return model


class _LinearHead:
    """Multinomial logistic regression kept as a weight matrix and a bias."""

    def __init__(self, c: float) -> None:
        self.c = c

    def fit(self, features: Any, labels: NDArray[np.int64]) -> None:
        from sklearn.linear_model import LogisticRegression

        regression = LogisticRegression(C=self.c, max_iter=2000).fit(features, labels)
        self.classes_ = np.asarray(regression.classes_, dtype=np.int64)
        self.coef_ = np.asarray(regression.coef_, dtype=np.float64)
        self.intercept_ = np.asarray(regression.intercept_, dtype=np.float64)

    def proba(self, features: Any) -> NDArray[np.float64]:
        return _softmax(np.asarray(features @ self.coef_.T) + self.intercept_)


class _Tfidf:
    """Sublinear TF-IDF of words and word pairs, kept as a vocabulary and an idf array.

    Fitted with scikit-learn; served by ``SublinearTfidf``, which computes the same weights
    without it.
    """

    def fit_transform(self, texts: list[str], min_df: int) -> Any:
        from sklearn.feature_extraction.text import TfidfVectorizer

        vectorizer = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=min_df)
        features = vectorizer.fit_transform(texts)
        self._keep({term: int(i) for term, i in vectorizer.vocabulary_.items()},
                   np.asarray(vectorizer.idf_, dtype=np.float64))
        return features

    def _keep(self, vocabulary: dict[str, int], idf: NDArray[np.float64]) -> None:
        """The fitted state, and what serves it."""
        self.vocabulary_, self.idf_ = vocabulary, idf
        self.tfidf_ = SublinearTfidf(WordNgrams(vocabulary, (1, 2)), idf)

    def weights(self, text: str) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """The text's columns and TF-IDF weights."""
        return self.tfidf_.weights(text)

    @classmethod
    def restore(cls, vocabulary: dict[str, int], idf: NDArray[np.float64]) -> _Tfidf:
        block = cls()
        block._keep(vocabulary, idf)
        return block


class TfidfLogistic:
    """TF-IDF of the whole resume and, separately, of its opening; logistic regression.

    The opening (``head_chars``) is where a resume says what its author is ("7+ years as a
    business analyst"); giving it its own features lets that statement outweigh the long
    tail of skills shared with neighbouring roles. ``head_chars=0`` turns it off.
    """

    kind: ClassVar[str] = "tfidf-logistic"

    def __init__(self, c: float = 30.0, min_df: int = 3, head_chars: int = 400) -> None:
        self.c = c
        self.min_df = min_df
        self.head_chars = head_chars

    def get_params(self) -> dict[str, Any]:
        """Constructor parameters."""
        return {"c": self.c, "min_df": self.min_df, "head_chars": self.head_chars}

    def fit(self, texts: list[str], labels: NDArray[np.int64]) -> Self:
        """Learn both vocabularies and idfs, then the regression."""
        from scipy import sparse

        self.body_ = _Tfidf()
        blocks = [self.body_.fit_transform(texts, self.min_df)]
        self.head_block_: _Tfidf | None = None
        if self.head_chars:
            self.head_block_ = _Tfidf()
            blocks.append(self.head_block_.fit_transform(self._heads(texts), self.min_df))
        self.head_ = _LinearHead(self.c)
        self.head_.fit(sparse.hstack(blocks, format="csr"), labels)
        self.classes_ = self.head_.classes_
        return self

    def _heads(self, texts: list[str]) -> list[str]:
        return [text.strip()[:self.head_chars] for text in texts]

    def predict_proba(self, texts: list[str]) -> NDArray[np.float64]:
        """Class probabilities."""
        # The head block's weights follow the body's in the regression's columns.
        coef, body_columns = self.head_.coef_, len(self.body_.idf_)
        scores = np.tile(self.head_.intercept_, (len(texts), 1))
        for row, (text, head) in enumerate(zip(texts, self._heads(texts), strict=True)):
            columns, weights = self.body_.weights(text)
            scores[row] += coef[:, columns] @ weights
            if self.head_block_ is not None:
                columns, weights = self.head_block_.weights(head)
                scores[row] += coef[:, body_columns + columns] @ weights
        return _softmax(scores)

    def save(self, folder: Path) -> None:
        """Vocabularies as JSON, idfs and weights as arrays."""
        arrays = {"idf": self.body_.idf_, "classes": self.classes_, "coef": self.head_.coef_,
                  "intercept": self.head_.intercept_}
        meta: dict[str, Any] = {"kind": self.kind, "params": self.get_params(),
                                "vocabulary": self.body_.vocabulary_}
        if self.head_block_ is not None:
            arrays["head_idf"] = self.head_block_.idf_
            meta["head_vocabulary"] = self.head_block_.vocabulary_
        _write(folder, meta, **arrays)

    @classmethod
    def load(cls, folder: Path) -> TfidfLogistic:
        """Read what ``save`` wrote."""
        meta, (idf, classes, coef, intercept) = _read(folder, "idf", "classes", "coef",
                                                      "intercept")
        model = cls(**meta["params"])
        model.body_ = _Tfidf.restore(meta["vocabulary"], idf)
        model.head_block_ = None
        if model.head_chars:
            model.head_block_ = _Tfidf.restore(meta["head_vocabulary"],
                                               load_shared(folder / "head_idf.npy"))
        model.classes_ = classes
        model.head_ = _LinearHead(model.c)
        model.head_.classes_, model.head_.coef_, model.head_.intercept_ = classes, coef, intercept
        return model


class MiniLMLogistic:
    """Static MiniLM token embeddings averaged over the text, multinomial logistic regression.

    The embedder (token table and tokenizer, derived from the packaged MiniLM weights) is given
    to ``fit`` and saved with the model, so a version is self-contained.
    """

    kind: ClassVar[str] = "minilm-logistic"
    _TABLE, _TOKENIZER = "static_embeddings.npy", "tokenizer.json"

    def __init__(self, embedder: StaticEmbedder, c: float = 20.0) -> None:
        self.embedder = embedder
        self.c = c

    def get_params(self) -> dict[str, Any]:
        """Constructor parameters (the embedder is saved as files)."""
        return {"c": self.c}

    def fit(self, texts: list[str], labels: NDArray[np.int64]) -> Self:
        """Embed every resume, then fit the regression."""
        self.head_ = _LinearHead(self.c)
        self.head_.fit(self.embedder.embed(texts), labels)
        self.classes_ = self.head_.classes_
        return self

    def predict_proba(self, texts: list[str]) -> NDArray[np.float64]:
        """Class probabilities."""
        return self.head_.proba(self.embedder.embed(texts).astype(np.float64))

    def save(self, folder: Path) -> None:
        """Weights, the token table and the tokenizer."""
        np.save(folder / self._TABLE, self.embedder.table, allow_pickle=False)
        (folder / self._TOKENIZER).write_bytes(self.embedder.tokenizer_path.read_bytes())
        _write(folder, {"kind": self.kind, "params": self.get_params()},
               classes=self.classes_, coef=self.head_.coef_, intercept=self.head_.intercept_)

    @classmethod
    def load(cls, folder: Path) -> MiniLMLogistic:
        """Read what ``save`` wrote."""
        meta, (classes, coef, intercept) = _read(folder, "classes", "coef", "intercept")
        table = load_shared(folder / cls._TABLE)
        model = cls(StaticEmbedder(table, folder / cls._TOKENIZER), **meta["params"])
        model.head_ = _LinearHead(model.c)
        model.head_.classes_, model.head_.coef_, model.head_.intercept_ = classes, coef, intercept
        model.classes_ = classes
        return model


EmbedderFactory = Callable[[], StaticEmbedder]


@dataclass(frozen=True)
class ClassifierKind:
    """How to make an untrained classifier of one kind and how to load a saved one."""

    create: Callable[[EmbedderFactory], ResumeClassifier]
    """Build with default parameters; kinds that embed call the factory, the others ignore it."""
    load: Callable[[Path], ResumeClassifier]


#: Every classifier kind, the baseline first: the one table that the service, the CLI and
#: loading read, so a new kind is one class plus one line here.
CLASSIFIERS: dict[str, ClassifierKind] = {
    NaiveBayes.kind: ClassifierKind(lambda _: NaiveBayes(), NaiveBayes.load),
    TfidfLogistic.kind: ClassifierKind(lambda _: TfidfLogistic(), TfidfLogistic.load),
    MiniLMLogistic.kind: ClassifierKind(lambda embedder: MiniLMLogistic(embedder()),
                                        MiniLMLogistic.load),
}


def classifier_kinds() -> tuple[str, ...]:
    """Every model kind, the baseline first."""
    return tuple(CLASSIFIERS)


def saved_kind(folder: Path) -> str:
    """The kind of the classifier saved in ``folder``."""
    kind: str = json.loads((folder / _META).read_text())["kind"]
    return kind


def load_classifier(folder: Path) -> ResumeClassifier:
    """Load whichever classifier ``save`` wrote into ``folder``."""
    kind = saved_kind(folder)
    if kind not in CLASSIFIERS:
        raise ValueError(f"unknown resume model kind {kind!r}")
    return CLASSIFIERS[kind].load(folder)
