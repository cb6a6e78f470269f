"""HTTP contract of the movies service: recommend from demographics, collect ratings."""

from __future__ import annotations

import asyncio
import uuid
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool

from modelworks.core.errors import DataError, NotFound
from modelworks.sdk.access import PredictKey, Requirement, Scope
from modelworks.sdk.bodies import openapi_json_body, parse_json_body
from modelworks.sdk.endpoints import (
    Answer,
    Batch,
    Endpoint,
    Example,
    JsonBody,
    QueryOption,
    Received,
)
from modelworks.services.movies.schemas import (
    FEEDBACK_EXAMPLE,
    FEEDBACK_EXPECTED,
    RECOMMEND_EXAMPLES,
    RECOMMEND_EXPECTED,
    FeedbackRequest,
    RecommendationDetail,
    RecommendRequest,
)

RECOMMENDATION_HEADER = "X-Recommendation-ID"
DETAIL = QueryOption("detail", "boolean", "Answer with an object: the titles, the "
                     "recommendation id and each title's probability of being rated 4 or more")
INCLUDE_SCORES = QueryOption("include_scores", "boolean", "Same as `detail` (what earlier "
                             "modelworks clients sent)")

if TYPE_CHECKING:
    from modelworks.core.live import Loaded
    from modelworks.core.service import ServiceContext
    from modelworks.services.movies.model import DemographicRecommender
    from modelworks.services.movies.service import MoviesService


def build_endpoints() -> list[Endpoint]:
    """``POST /api/recommend``: titles for an age, gender and occupation (a bare list)."""

    def rank(loaded: Loaded[DemographicRecommender],
             requests: list[Received[RecommendRequest]]) -> list[list[tuple[str, float]]]:
        bodies = [received.body for received in requests]
        return loaded.model.recommend_many([b.age for b in bodies], [b.gender for b in bodies],
                                           [b.occupation for b in bodies],
                                           [b.max_recs for b in bodies])

    def answer(loaded: Loaded[DemographicRecommender], received: Received[RecommendRequest],
               picked: list[tuple[str, float]]) -> Answer:
        recommendation_id = str(uuid.uuid4())
        titles = [title for title, _ in picked]
        payload: list[str] | dict[str, Any] = titles  # the contract: a bare list of titles
        if received.query["detail"] or received.query["include_scores"]:
            payload = {"recommendations": titles, "id": recommendation_id,
                       "scores": {title: round(score, 4) for title, score in picked}}
        return Answer(payload, inputs=[received.body.model_dump()], outputs=[titles],
                      headers={RECOMMENDATION_HEADER: recommendation_id},
                      log_id=recommendation_id)

    def recommend(loaded: Loaded[DemographicRecommender], received: Received[RecommendRequest]
                  ) -> Answer:
        return answer(loaded, received, rank(loaded, [received])[0])

    return [Endpoint(
        "POST", "/api/recommend", summary="Movie titles for an age, gender and occupation",
        description="A JSON array of titles, best first (ThirdLove's contract); the id that "
                    "feedback quotes is the X-Recommendation-ID header.",
        request=JsonBody(RecommendRequest, expected=RECOMMEND_EXPECTED,
                         options=(DETAIL, INCLUDE_SCORES)),
        response=list[str] | RecommendationDetail, predict=recommend,
        batch=Batch(run=rank, finish=answer, max_size=32),
        access=Requirement(Scope.PREDICT),
        examples=tuple(Example(f"{e['age']}, {e['gender']}, {e['occupation']}", e)
                       for e in RECOMMEND_EXAMPLES),
        response_example=["Star Wars", "Return of the Jedi", "Scream"],
        response_headers={RECOMMENDATION_HEADER: "The recommendation's id, for feedback"})]


def build_router(service: MoviesService, context: ServiceContext) -> APIRouter:
    """``POST /api/recommend/feedback``: a rating of a movie an earlier answer recommended."""
    router = APIRouter(prefix="/api", tags=["movies"])
    # A recommendation served by another worker may still wait in its log queue.
    log_delay = context.settings.log_flush_seconds + 0.3

    @router.post("/recommend/feedback", summary="Rate a movie of an earlier recommendation",
                 openapi_extra=openapi_json_body(FeedbackRequest, {
                     "a rating; id: the X-Recommendation-ID header of an answer that "
                     "recommended the movie": FEEDBACK_EXAMPLE}))
    async def feedback(request: Request, key: PredictKey) -> dict[str, Any]:
        body = parse_json_body(FeedbackRequest, await request.body(), FEEDBACK_EXPECTED)
        model: DemographicRecommender = context.live.current().model
        if not model.knows(body.movie):
            raise DataError(f"unknown movie {body.movie!r}: send a title exactly as the "
                            "recommendation spelled it", field="movie")
        request_id = str(body.id)
        ratings = context.feedback
        if ratings is None:
            raise NotFound("this server keeps no feedback")
        known = await run_in_threadpool(ratings.served, request_id)
        if not known:
            await asyncio.sleep(log_delay)
            known = await run_in_threadpool(ratings.served, request_id)
        if not known:
            raise DataError(f"unknown recommendation id {request_id}", field="id")
        await run_in_threadpool(ratings.record, request_id, body.movie, body.score, key.key_id)
        return {"status": "recorded", "id": request_id, "movie": body.movie, "score": body.score}

    return router

