"""Movie recommendations from age, gender and occupation (MovieLens 100k)."""

from modelworks.services.movies.service import MoviesService

service = MoviesService()

__all__ = ["MoviesService", "service"]
