"""Response shapes of the genres contract."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


def ranked_genres(ranking: list[tuple[str, float]], include_scores: bool) -> dict[str, Any]:
    """``{"0": g1, ..., "4": g5}``; with scores, ``"scores": {g1: p1, ...}`` in the same order.

    The positional keys stay exactly as existing clients read them; scores are an extra key
    that only callers who ask for them see.
    """
    body: dict[str, Any] = {str(rank): genre for rank, (genre, _) in enumerate(ranking)}
    if include_scores:
        body["scores"] = {genre: round(score, 4) for genre, score in ranking}
    return body


class GenreRanking(BaseModel):
    """The five most likely genres of one movie, best first (the Radix contract's shape)."""

    model_config = ConfigDict(populate_by_name=True)

    first: str = Field(alias="0", description="The most likely genre")
    second: str = Field(alias="1")
    third: str = Field(alias="2")
    fourth: str = Field(alias="3")
    fifth: str = Field(alias="4")
    scores: dict[str, float] | None = Field(
        default=None, description="With `include_scores=true`: each genre's probability")


PREDICT_EXAMPLE = ("movie_id,synopsis\n"
                   "1,A lonely cowboy defends a frontier town from a gang of outlaws.\n"
                   "2,A detective hunts a killer through the rainy streets of the city.\n")
