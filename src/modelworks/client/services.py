"""The five services' routes, one method each (mixed into ``modelworks.client.Client``)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from modelworks.client.results import (
    CatalogChange,
    CatalogResults,
    FeedbackRecorded,
    MovieGenres,
    PredictionsPage,
    Recommendation,
    ResumeCategory,
    Similarities,
    TrainingResult,
    UserInterests,
    UsersSaved,
)

if TYPE_CHECKING:
    from modelworks.client._http import Transport

Movies = bytes | str | Path | Iterable[Mapping[str, Any]]
"""A genres CSV: its bytes or text, a file, or rows with ``movie_id``, ``synopsis`` (``year``,
and for training ``genres``, optional)."""


def movies_csv(movies: Movies, columns: Sequence[str]) -> bytes:
    """``movies`` as the CSV the genres routes read (rows get ``columns``, in that order)."""
    if isinstance(movies, bytes):
        return movies
    if isinstance(movies, str):
        return movies.encode()
    if isinstance(movies, Path):
        return movies.read_bytes()
    rows = list(movies)
    present = [c for c in columns if any(c in row for row in rows)]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(present)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in present])
    return out.getvalue().encode()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):  # genres: space-separated in the training CSV
        return " ".join(map(str, value))
    return str(value)


class ServiceRoutes:
    """Prediction and data routes of genres, interests, movies, resumes and similarity."""

    _http: Transport

    # -- interests -------------------------------------------------------------------------
    def interests(self, user_handle: str, *, top_k: int | None = None,
                  min_probability: float | None = None) -> UserInterests:
        """``GET /interests/{user_handle}``: a user's top interests with probabilities.

        ``top_k`` (1-100, server default 15) caps how many; ``min_probability`` leaves out
        those below it. An unknown user is an ``ApiError`` with status 404.
        """
        params = _present(top_k=top_k, min_probability=min_probability)
        return UserInterests.model_validate(
            self._http.json("GET", f"/interests/{user_handle}", params=params))

    def save_users(self, users: Sequence[Mapping[str, Any]]) -> UsersSaved:
        """``POST /interests/users``: add or update users (``train`` scope).

        Each has ``user_handle``, ``name``, ``type`` (B2B or B2C) and ``consumed`` title ids.
        """
        return UsersSaved.model_validate(
            self._http.json("POST", "/interests/users", json={"users": list(users)}))

    # -- movies ----------------------------------------------------------------------------
    def recommend(self, age: int, gender: Literal["M", "F", "O"], occupation: str, *,
                  max_recs: int = 10) -> Recommendation:
        """``POST /api/recommend``: movie titles for a person, best first.

        Asks for the detailed answer, so the result also carries each title's score and the
        recommendation's ``id`` that ``movie_feedback`` quotes.
        """
        body = {"age": age, "gender": gender, "occupation": occupation, "max_recs": max_recs}
        return Recommendation.model_validate(
            self._http.json("POST", "/api/recommend", json=body, params={"detail": "true"}))

    def movie_feedback(self, recommendation_id: str, movie: str, score: int
                       ) -> FeedbackRecorded:
        """``POST /api/recommend/feedback``: rate (1-5) a movie an earlier answer recommended."""
        body = {"id": str(recommendation_id), "movie": movie, "score": score}
        return FeedbackRecorded.model_validate(
            self._http.json("POST", "/api/recommend/feedback", json=body))

    # -- genres ----------------------------------------------------------------------------
    def predict_genres(self, movies: Movies, *, include_scores: bool = False
                       ) -> list[MovieGenres]:
        """``POST /genres/predict``: five genres, best first, for each movie, in input order.

        ``movies``: a CSV ``movie_id,synopsis[,year]`` (bytes, text or a file), or rows
        with those keys.
        """
        upload = movies_csv(movies, ("movie_id", "synopsis", "year"))
        answer: dict[str, dict[str, Any]] = self._http.json(
            "POST", "/genres/predict", files={"file": ("movies.csv", upload, "text/csv")},
            params={"include_scores": "true"} if include_scores else None)
        return [MovieGenres(movie_id=movie_id, scores=ranking.get("scores"),
                            genres=[ranking[key] for key in sorted(
                                (k for k in ranking if k.isdigit()), key=int)])
                for movie_id, ranking in answer.items()]

    def train_genres(self, movies: Movies) -> TrainingResult:
        """``POST /genres/train``: train on a CSV and wait for the result.

        The CSV is ``movie_id,synopsis,genres[,year]`` with genres space-separated (or rows
        with those keys, genres as a list); the version goes live only past the gate.
        """
        upload = movies_csv(movies, ("movie_id", "synopsis", "genres", "year"))
        return TrainingResult.model_validate(self._http.json(
            "POST", "/genres/train", files={"file": ("movies.csv", upload, "text/csv")},
            timeout=None))

    # -- resumes ---------------------------------------------------------------------------
    def classify_resume(self, text: str) -> ResumeCategory:
        """``POST /api/inference``: a resume's job category, stored in the prediction history."""
        return ResumeCategory.model_validate(self._http.json(
            "POST", "/api/inference", json={"text": text}, params={"detail": "true"}))

    def resume_predictions(self, *, limit: int = 50, offset: int = 0,
                           category: str | None = None) -> PredictionsPage:
        """``GET /api/predictions``: stored resume predictions, newest first (``history``)."""
        params = _present(limit=limit, offset=offset, category=category)
        return PredictionsPage.model_validate(
            self._http.json("GET", "/api/predictions", params=params))

    def resume_samples(self) -> dict[str, str]:
        """``GET /api/samples``: resumes to try, by name."""
        samples: dict[str, str] = self._http.json("GET", "/api/samples")["samples"]
        return samples

    # -- similarity ------------------------------------------------------------------------
    def rank_products(self, queries: str | Sequence[str], product_descriptions: Sequence[str],
                      *, top_k: int | None = None, min_score: float | None = None
                      ) -> Similarities:
        """``POST /predict``: for each query, the product descriptions ranked by meaning."""
        body: dict[str, Any] = {
            "queries": [queries] if isinstance(queries, str) else list(queries),
            "product_descriptions": list(product_descriptions),
            **_present(top_k=top_k, min_score=min_score)}
        return Similarities.model_validate(self._http.json("POST", "/predict", json=body))

    def add_products(self, catalog: str, products: Sequence[Mapping[str, Any]]
                     ) -> CatalogChange:
        """``POST /catalogs/{name}/products``: add or update products (``train`` scope).

        Each has an ``id``, a ``description`` and any other attributes.
        """
        return CatalogChange.model_validate(self._http.json(
            "POST", f"/catalogs/{catalog}/products", json={"products": list(products)}))

    def remove_products(self, catalog: str, ids: Sequence[str | int]) -> CatalogChange:
        """``DELETE /catalogs/{name}/products``: remove products by id (``train`` scope)."""
        return CatalogChange.model_validate(self._http.json(
            "DELETE", f"/catalogs/{catalog}/products", json={"ids": list(ids)}))

    def search_catalog(self, catalog: str, query: str, *, top_k: int | None = None,
                       min_score: float | None = None,
                       filters: Mapping[str, str | int | float | bool] | None = None
                       ) -> CatalogResults:
        """``POST /catalogs/{name}/search``: the products that best match ``query``.

        ``filters`` match attributes exactly.
        """
        body = {"query": query, **_present(top_k=top_k, min_score=min_score,
                                           filters=dict(filters) if filters else None)}
        return CatalogResults.model_validate(
            self._http.json("POST", f"/catalogs/{catalog}/search", json=body))


def _present(**values: Any) -> dict[str, Any]:
    """The values that were given (``None`` leaves the server's default)."""
    return {name: value for name, value in values.items() if value is not None}
