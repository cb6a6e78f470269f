"""Resume text to job category, every prediction kept in SQL."""

from modelworks.services.resumes.service import ResumesService

service = ResumesService()

__all__ = ["ResumesService", "service"]
