"""The same registered model object, and the same work per request, for every contender.

Each peer app loads the live version from the registry in ``MODELWORKS_HOME`` exactly as
modelworks does, then calls these functions: what differs between contenders is only the
serving around them.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from modelworks.core.live import LiveModel
from modelworks.core.plugins import load_services
from modelworks.core.registry import Registry
from modelworks.core.settings import Settings

TOP_K = 15


def live_model(service: str) -> Any:
    """The live version of ``service`` in ``MODELWORKS_HOME``, loaded and warmed up."""
    settings = Settings()
    loaded = load_services(settings, [service])[service]
    live: LiveModel[Any] = LiveModel(loaded, Registry(settings.registry_dir))
    live.refresh()
    return live.current().model


def service_name() -> str:
    """Which service a peer app serves (``PEER_SERVICE``)."""
    return os.environ.get("PEER_SERVICE", "resumes")


def resume_labels(model: Any, texts: list[str]) -> list[int]:
    """Each resume's category id: what ``POST /api/inference`` answers."""
    return [answer.label for answer in model.classify(texts)]


def interests_of(model: Any, handle: str, top_k: int = TOP_K,
                 min_probability: float = 0.0) -> dict[str, Any] | None:
    """What ``GET /interests/{handle}`` answers for a user the model knows; None if unknown."""
    row = model.row_of_.get(handle)
    if row is None:
        return None
    ranked = model.rank_known(row, top_k)
    catalogue = model.catalogue_
    items = []
    for column, probability in zip(ranked.columns.tolist(),
                                   np.round(ranked.probabilities, 4).tolist(), strict=True):
        if probability < min_probability:
            break
        items.append({"id": catalogue.interest_ids[column],
                      "label": catalogue.interest_labels[column], "probability": probability})
    return {"user_handle": handle, "name": model.names_[row],
            "type": "B2B" if model.pool_b2b_[row] else "B2C", "interests": items}


def similarity_cache() -> Any:
    """The in-process embedding cache modelworks uses by default, so every contender has one."""
    from modelworks.services.similarity.cache import MemoryCache

    return MemoryCache(100_000)


def similarity_answers(model: Any, cache: Any, bodies: list[dict[str, Any]]
                       ) -> list[dict[str, Any]]:
    """What ``POST /predict`` answers for each body, every text embedded in one call."""
    from modelworks.services.similarity.schemas import PredictRequest

    requests = [PredictRequest(list(body["query"]), list(body["product_descriptions"]),
                               int(body.get("top_k", 10)), float(body.get("min_score", -1.0)))
                for body in bodies]
    answers = []
    for request, found in zip(requests, model.search_many(requests, cache), strict=True):
        answers.append({"queries": request.queries, "results": [
            {"query": query, "results": [
                {"product_description": request.descriptions[match.index],
                 "score": round(match.score, 4)} for match in matches]}
            for query, matches in zip(request.queries, found, strict=True)]})
    return answers


def genre_answers(model: Any, uploads: list[bytes]) -> list[dict[str, Any]]:
    """What ``POST /genres/predict`` answers for each uploaded CSV, every movie in one call."""
    from modelworks.services.genres.data import TOP_K, read_movies
    from modelworks.services.genres.schemas import ranked_genres

    csvs = [read_movies(raw, with_genres=False) for raw in uploads]
    rankings = model.rank([s for movies in csvs for s in movies.synopses],
                          [y for movies in csvs for y in movies.years], TOP_K)
    answers, start = [], 0
    for movies in csvs:
        answers.append({movie_id: ranked_genres(ranking, False) for movie_id, ranking
                        in zip(movies.ids, rankings[start:start + len(movies.ids)],
                               strict=True)})
        start += len(movies.ids)
    return answers
