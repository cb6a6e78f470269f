"""Movie genres from synopses: train and predict over CSV upload."""

from modelworks.services.genres.service import GenresService

service = GenresService()

__all__ = ["GenresService", "service"]
