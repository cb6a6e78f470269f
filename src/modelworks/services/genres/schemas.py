"""Response shapes of the genres contract."""

from __future__ import annotations

from typing import Any


def ranked_genres(ranking: list[tuple[str, float]], include_scores: bool) -> dict[str, Any]:
    """``{"0": g1, ..., "4": g5}``; with scores, ``"scores": {g1: p1, ...}`` in the same order.

    The positional keys stay exactly as existing clients read them; scores are an extra key
    that only callers who ask for them see.
    """
    body: dict[str, Any] = {str(rank): genre for rank, (genre, _) in enumerate(ranking)}
    if include_scores:
        body["scores"] = {genre: round(score, 4) for genre, score in ranking}
    return body
