"""A user's top interests with calibrated probabilities, from what they consumed."""

from modelworks.services.interests.service import InterestsService

service = InterestsService()

__all__ = ["InterestsService", "service"]
