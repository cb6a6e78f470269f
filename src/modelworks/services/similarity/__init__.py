"""Semantic product search with sentence embeddings."""

from modelworks.services.similarity.service import SimilarityService

service = SimilarityService()

__all__ = ["SimilarityService", "service"]
