"""The cold-start protocol: recommend for held-out users from their demographics alone."""

from __future__ import annotations

from modelworks.core.evaluation import catalogue_coverage, ndcg_at_k, precision_at_k
from modelworks.core.service import Metrics
from modelworks.services.movies.baselines import Recommender
from modelworks.services.movies.data import MovieLens

K = 10


def cold_start_metrics(recommender: Recommender, held_out: MovieLens, k: int = K) -> Metrics:
    """NDCG@k, precision@k (relevant: rated 4 or more) and catalogue coverage of the top k."""
    scores = recommender.scores(held_out.ages, held_out.genders, held_out.occupations)
    truth = held_out.liked()
    return {
        f"ndcg@{k}": round(ndcg_at_k(scores, truth, k), 4),
        f"precision@{k}": round(precision_at_k(scores, truth, k), 4),
        f"coverage@{k}": round(catalogue_coverage(scores, k), 4),
        "users": float(int((truth.sum(axis=1) > 0).sum())),
    }
