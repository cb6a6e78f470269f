"""Genre ranking model: two linear views of a synopsis, stacked to learn genre co-occurrence.

Level one fits one-vs-rest logistic regressions on (a) word and character TF-IDF and (b) static
MiniLM token embeddings, each with the release decade. Level two fits, per genre, a logistic
regression on the out-of-fold log-odds of *every* genre from both views — so "Animation" can
raise "Children" — plus the decade. Saved as ``.npy`` arrays and JSON; loading never unpickles.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypeAlias

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

from modelworks.core.arrays import load_shared
from modelworks.core.budget import check_budget
from modelworks.core.encoders.minilm import StaticEmbedder
from modelworks.core.progress import Progress, no_progress
from modelworks.core.tfidf import FittedTfidf

# scikit-learn and joblib are imported where a model is fitted: importing scikit-learn takes
# about a second, and a server only loads fitted arrays (``FittedTfidf``).

Matrix: TypeAlias = Any  # a dense float array or a scipy CSR matrix (scipy is untyped)
_TOKENIZER = "tokenizer.json"
_EMBEDDINGS = "static_embeddings.npy"


_RANK_BATCH = 1000  # movies ranked between two deadline checks

class OneVsRestLogistic:
    """Independent binary logistic regressions, one per label, kept as one weight matrix."""

    def __init__(self, c: float = 1.0, n_jobs: int = 1) -> None:
        self.c = c
        self.n_jobs = n_jobs

    def fit(self, x: Matrix, y: NDArray[np.bool_]) -> OneVsRestLogistic:
        """Fit one regression per column of ``y``; a constant column gets its log prior."""
        from joblib import Parallel, delayed

        fits = Parallel(n_jobs=self.n_jobs)(
            delayed(_fit_binary)(x, y[:, j], self.c) for j in range(y.shape[1]))
        self.coef_ = np.vstack([coef for coef, _ in fits])
        self.intercept_ = np.array([bias for _, bias in fits])
        return self

    def decision_function(self, x: Matrix) -> NDArray[np.float64]:
        """Log-odds per label."""
        scores = np.asarray(x @ self.coef_.T, dtype=np.float64)
        result: NDArray[np.float64] = scores + self.intercept_
        return result

    def predict_proba(self, x: Matrix) -> NDArray[np.float64]:
        """Probability per label (each label on its own, not normalised across labels)."""
        return _sigmoid(self.decision_function(x))


def _fit_binary(x: Matrix, y: NDArray[np.bool_], c: float) -> tuple[NDArray[np.float64], float]:
    positives = float(y.mean())
    if positives in (0.0, 1.0):
        prior = min(max(positives, 1e-3), 1 - 1e-3)
        return np.zeros(x.shape[1]), float(np.log(prior / (1 - prior)))
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, max_iter=3000).fit(x, y)
    return model.coef_[0], float(model.intercept_[0])


def _sigmoid(z: NDArray[np.float64]) -> NDArray[np.float64]:
    result: NDArray[np.float64] = 0.5 * (1.0 + np.tanh(0.5 * z))
    return result


class GenreClassifier:
    """Ranks genres of movies from their synopsis and (optional) release year."""

    def __init__(
        self,
        embedder: StaticEmbedder,
        *,
        word_ngrams: tuple[int, int] = (1, 2),
        char_ngrams: tuple[int, int] = (3, 5),
        max_char_features: int = 100_000,
        text_c: float = 5.0,
        embedding_c: float = 3.0,
        stack_c: float = 1.0,
        folds: int = 3,
        random_state: int = 0,
        n_jobs: int = 2,
    ) -> None:
        self.embedder = embedder
        self.word_ngrams = word_ngrams
        self.char_ngrams = char_ngrams
        self.max_char_features = max_char_features
        self.text_c = text_c
        self.embedding_c = embedding_c
        self.stack_c = stack_c
        self.folds = folds
        self.random_state = random_state
        self.n_jobs = n_jobs

    def get_params(self) -> dict[str, Any]:
        """Constructor parameters (without the embedder), as recorded in the registry."""
        return {
            "word_ngrams": list(self.word_ngrams), "char_ngrams": list(self.char_ngrams),
            "max_char_features": self.max_char_features, "text_c": self.text_c,
            "embedding_c": self.embedding_c, "stack_c": self.stack_c, "folds": self.folds,
            "random_state": self.random_state,
        }

    # -- training ------------------------------------------------------------------------------
    def fit(
        self,
        synopses: list[str],
        years: list[int | None],
        genres: list[list[str]],
        progress: Progress = no_progress,
    ) -> GenreClassifier:
        """Learn from synopses, years and their genre lists."""
        try:
            return self._fit(synopses, years, genres, progress)
        finally:
            # The worker processes would otherwise idle on (for minutes) after a server exits.
            from joblib.externals.loky import get_reusable_executor

            get_reusable_executor().shutdown(wait=True)

    def _fit(self, synopses: list[str], years: list[int | None], genres: list[list[str]],
             progress: Progress) -> GenreClassifier:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.model_selection import KFold

        self.labels_ = sorted({g for labels in genres for g in labels})
        index = {label: j for j, label in enumerate(self.labels_)}
        y = np.zeros((len(genres), len(self.labels_)), dtype=bool)
        for row, labels in enumerate(genres):
            y[row, [index[g] for g in labels]] = True
        self.genre_frequency_ = y.mean(axis=0)
        known = [year for year in years if year is not None]
        self.decades_ = sorted({year // 10 * 10 for year in known})
        min_df = 2 if len(synopses) >= 200 else 1
        self.word_vectorizer_ = TfidfVectorizer(
            ngram_range=self.word_ngrams, sublinear_tf=True, min_df=min_df, stop_words="english")
        self.char_vectorizer_ = TfidfVectorizer(
            analyzer="char_wb", ngram_range=self.char_ngrams, sublinear_tf=True,
            min_df=min_df + 1, max_features=self.max_char_features)
        progress("vectorising text", 0.05)
        text = sparse.hstack([self.word_vectorizer_.fit_transform(synopses),
                              self.char_vectorizer_.fit_transform(synopses)]).tocsr()
        progress("embedding synopses", 0.15)
        embedded = self.embedder.embed(synopses)
        views = self._views(text, embedded, self._decade_features(years))

        folds = KFold(min(self.folds, len(synopses)), shuffle=True, random_state=self.random_state)
        out_of_fold = [np.zeros(y.shape) for _ in views]
        steps = self.folds * len(views) + len(views) + 1
        done = 0
        for train, test in folds.split(synopses):
            for v, (x, c) in enumerate(views):
                progress(f"cross-fitting view {v + 1}", 0.2 + 0.8 * done / steps)
                fold_model = OneVsRestLogistic(c, self.n_jobs).fit(x[train], y[train])
                out_of_fold[v][test] = fold_model.decision_function(x[test])
                done += 1
        self.view_models_ = []
        for v, (x, c) in enumerate(views):
            progress(f"fitting view {v + 1}", 0.2 + 0.8 * done / steps)
            self.view_models_.append(OneVsRestLogistic(c, self.n_jobs).fit(x, y))
            done += 1
        progress("fitting the co-occurrence layer", 0.2 + 0.8 * done / steps)
        stacked = self._stack_features(out_of_fold, years)
        self.stack_model_ = OneVsRestLogistic(self.stack_c, self.n_jobs).fit(stacked, y)
        return self

    # -- prediction ----------------------------------------------------------------------------
    def predict_proba(self, synopses: list[str], years: list[int | None]) -> NDArray[np.float64]:
        """Probability of every genre (columns follow ``labels_``) for each movie."""
        text = sparse.hstack([self.word_vectorizer_.transform(synopses),
                              self.char_vectorizer_.transform(synopses)]).tocsr()
        views = self._views(text, self.embedder.embed(synopses), self._decade_features(years))
        logits = [model.decision_function(x) for model, (x, _) in
                  zip(self.view_models_, views, strict=True)]
        return self.stack_model_.predict_proba(self._stack_features(logits, years))

    def rank(self, synopses: list[str], years: list[int | None], k: int
             ) -> list[list[tuple[str, float]]]:
        """The ``k`` most likely genres of each movie with their probabilities, best first."""
        ranked: list[list[tuple[str, float]]] = []
        for start in range(0, len(synopses), _RANK_BATCH):
            check_budget()
            end = start + _RANK_BATCH
            probabilities = self.predict_proba(synopses[start:end], years[start:end])
            order = np.argsort(-probabilities, axis=1, kind="stable")[:, :k]
            ranked += [[(self.labels_[j], float(row[j])) for j in top]
                       for row, top in zip(probabilities, order, strict=True)]
        return ranked

    # -- features ------------------------------------------------------------------------------
    def _decade_features(self, years: list[int | None]) -> NDArray[np.float64]:
        """One-hot decade (clipped to the decades seen in training); zeros when unknown."""
        features = np.zeros((len(years), len(self.decades_)))
        if self.decades_:
            decades = np.array(self.decades_)
            for row, year in enumerate(years):
                if year is not None:
                    features[row, np.abs(decades - year // 10 * 10).argmin()] = 1.0
        return features

    def _views(self, text: sparse.csr_matrix, embedded: NDArray[np.float32],
               decades: NDArray[np.float64]) -> list[tuple[Matrix, float]]:
        return [
            (sparse.hstack([text, sparse.csr_matrix(decades)]).tocsr(), self.text_c),
            (np.hstack([embedded, decades]), self.embedding_c),
        ]

    def _stack_features(self, logits: list[NDArray[np.float64]], years: list[int | None]
                        ) -> NDArray[np.float64]:
        clipped = [np.clip(z, -10.0, 10.0) for z in logits]
        return np.hstack([*clipped, self._decade_features(years)])

    # -- persistence ---------------------------------------------------------------------------
    def save(self, folder: Path) -> None:
        """Write arrays and JSON into ``folder`` (the embedder's table and tokenizer included)."""
        state = {
            "params": self.get_params(),
            "labels": self.labels_,
            "decades": self.decades_,
            "genre_frequency": self.genre_frequency_.tolist(),
            "word": _vectorizer_state(self.word_vectorizer_),
            "char": _vectorizer_state(self.char_vectorizer_),
        }
        (folder / "model.json").write_text(json.dumps(state))
        np.save(folder / "word_idf.npy", self.word_vectorizer_.idf_)
        np.save(folder / "char_idf.npy", self.char_vectorizer_.idf_)
        for name, model in [("view0", self.view_models_[0]), ("view1", self.view_models_[1]),
                            ("stack", self.stack_model_)]:
            np.save(folder / f"{name}_coef.npy", model.coef_)
            np.save(folder / f"{name}_intercept.npy", model.intercept_)
        np.save(folder / _EMBEDDINGS, self.embedder.table)
        (folder / _TOKENIZER).write_bytes(self.embedder.tokenizer_path.read_bytes())

    @classmethod
    def load(cls, folder: Path) -> GenreClassifier:
        """Rebuild a saved model; the embedding table is memory-mapped, not copied."""
        state = json.loads((folder / "model.json").read_text())
        params = state["params"]
        table = load_shared(folder / _EMBEDDINGS)
        model = cls(
            StaticEmbedder(table, folder / _TOKENIZER),
            word_ngrams=tuple(params["word_ngrams"]), char_ngrams=tuple(params["char_ngrams"]),
            max_char_features=params["max_char_features"], text_c=params["text_c"],
            embedding_c=params["embedding_c"], stack_c=params["stack_c"], folds=params["folds"],
            random_state=params["random_state"],
        )
        model.labels_ = state["labels"]
        model.decades_ = state["decades"]
        model.genre_frequency_ = np.array(state["genre_frequency"])
        model.word_vectorizer_ = _restore_vectorizer(state["word"], folder / "word_idf.npy")
        model.char_vectorizer_ = _restore_vectorizer(state["char"], folder / "char_idf.npy")
        linear = []
        for name in ("view0", "view1", "stack"):
            part = OneVsRestLogistic()
            part.coef_ = load_shared(folder / f"{name}_coef.npy")
            part.intercept_ = load_shared(folder / f"{name}_intercept.npy")
            linear.append(part)
        model.view_models_ = linear[:2]
        model.stack_model_ = linear[2]
        return model


def _vectorizer_state(vectorizer: Any) -> dict[str, Any]:
    """A fitted ``TfidfVectorizer`` as JSON: its parameters, stop words and vocabulary."""
    params = {k: v for k, v in vectorizer.get_params().items()
              if k in {"analyzer", "ngram_range", "sublinear_tf", "min_df", "max_features",
                       "stop_words", "lowercase", "token_pattern"}}
    return {"params": params, "stop_word_list": sorted(vectorizer.get_stop_words() or ()),
            "vocabulary": {term: int(i) for term, i in vectorizer.vocabulary_.items()}}


def _restore_vectorizer(state: dict[str, Any], idf_path: Path) -> FittedTfidf:
    params = state["params"]
    stop_words = state.get("stop_word_list")
    if stop_words is None and params.get("stop_words") == "english":
        # A model saved before the list was stored with it.
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

        stop_words = sorted(ENGLISH_STOP_WORDS)
    options = {"token_pattern": params["token_pattern"]} if "token_pattern" in params else {}
    return FittedTfidf(state["vocabulary"], load_shared(idf_path),
                       analyzer=params.get("analyzer", "word"),
                       ngram_range=tuple(params["ngram_range"]),
                       lowercase=params.get("lowercase", True),
                       sublinear_tf=params.get("sublinear_tf", False), stop_words=stop_words,
                       **options)
