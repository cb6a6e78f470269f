"""Prometheus metrics of the similarity service: score distributions, empty answers, cache."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

from modelworks.services.similarity.cache import EmbeddingCache
from modelworks.services.similarity.model import Match

ROUTES = ("predict", "catalog")
_SCORE_BUCKETS = tuple(round(-0.2 + 0.1 * i, 1) for i in range(13))  # -0.2 .. 1.0


class SimilarityMetrics:
    """What an operator watches: are answers good, are some empty, is the cache working."""

    def __init__(self, registry: CollectorRegistry | None, cache: EmbeddingCache) -> None:
        registry = registry or CollectorRegistry()
        self.top1 = Histogram("modelworks_similarity_top1_score",
                              "Score of the best result of each query.", ["route"],
                              buckets=_SCORE_BUCKETS, registry=registry)
        self.returned = Histogram("modelworks_similarity_result_score",
                                  "Score of every returned result.", ["route"],
                                  buckets=_SCORE_BUCKETS, registry=registry)
        self.queries = Counter("modelworks_similarity_queries", "Queries answered.", ["route"],
                               registry=registry)
        self.empty = Counter("modelworks_similarity_empty_queries",
                             "Queries with no result at or above min_score.", ["route"],
                             registry=registry)
        for route in ROUTES:  # export zeros from the start, so rates work from the first scrape
            for metric in (self.top1, self.returned, self.queries, self.empty):
                metric.labels(route)
        # Counters, not gauges read from the cache: in multi-worker mode each worker's counts
        # live in Prometheus's shared files and are summed at scrape time. The hit ratio is
        # rate(hits) / (rate(hits) + rate(misses)) in PromQL.
        hits = Counter("modelworks_embedding_cache_hits", "Embedding cache hits.",
                       registry=registry)
        misses = Counter("modelworks_embedding_cache_misses", "Embedding cache misses.",
                         registry=registry)

        def count(hit: int, miss: int) -> None:
            hits.inc(hit)
            misses.inc(miss)

        cache.listeners.append(count)

    def observe(self, route: str, answers: list[list[Match]]) -> None:
        """Record one request's answers."""
        self.queries.labels(route).inc(len(answers))
        for matches in answers:
            if not matches:
                self.empty.labels(route).inc()
                continue
            self.top1.labels(route).observe(matches[0].score)
            for match in matches:
                self.returned.labels(route).observe(match.score)
