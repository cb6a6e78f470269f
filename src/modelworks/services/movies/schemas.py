"""Request bodies of the movies contract and the words their 400 messages use."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from modelworks.services.movies.data import GENDERS, MAX_AGE, MIN_AGE, OCCUPATIONS

MAX_RECS = 100
Occupation = Literal[OCCUPATIONS]  # type: ignore[valid-type]

RECOMMEND_EXPECTED = {
    "age": f"an integer from {MIN_AGE} to {MAX_AGE}",
    "gender": f"one of {', '.join(GENDERS)}",
    "occupation": f"one of {', '.join(OCCUPATIONS)}",
    "max_recs": f"an integer from 1 to {MAX_RECS}",
}
FEEDBACK_EXPECTED = {
    "id": "the X-Recommendation-ID of a recommendation this service returned (a UUID)",
    "movie": "a movie title exactly as recommended",
    "score": "an integer from 1 to 5",
}
FEEDBACK_EXAMPLE = {"id": "2a046e2c-5a17-433e-9592-2c8d9ff7f284", "movie": "Fargo", "score": 5}


class RecommendRequest(BaseModel):
    """Who to recommend for: nothing but demographics."""

    model_config = ConfigDict(extra="forbid", strict=True)

    age: int = Field(ge=MIN_AGE, le=MAX_AGE, description="Age in years")
    gender: Literal["M", "F", "O"] = Field(description="M, F or O (other)")
    occupation: Occupation = Field(description="One of the 21 MovieLens occupations")
    max_recs: int = Field(default=10, ge=1, le=MAX_RECS, description="How many titles")


class FeedbackRequest(BaseModel):
    """A rating of one movie of an earlier recommendation."""

    model_config = ConfigDict(extra="forbid")

    id: UUID = Field(description="The recommendation's `X-Recommendation-ID` header "
                                 "(`id` in its `detail=true` answer)")
    movie: str = Field(min_length=1, max_length=500, description="The movie's title")
    score: int = Field(ge=1, le=5, strict=True, description="Rating from 1 to 5")


class RecommendationDetail(BaseModel):
    """The answer with ``detail=true``: titles, the recommendation's id and each title's score."""

    recommendations: list[str] = Field(description="Movie titles, best first")
    id: UUID = Field(description="The recommendation's id (also its X-Recommendation-ID)")
    scores: dict[str, float] = Field(description="Each title's probability of a 4+ rating")


RECOMMEND_EXAMPLES = ({"age": 25, "gender": "F", "occupation": "student"},
                      {"age": 60, "gender": "M", "occupation": "retired", "max_recs": 3})
