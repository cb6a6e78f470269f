"""HTTP contract of the movies service: recommend from demographics, collect ratings."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import TYPE_CHECKING, Any

import orjson
from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool

from modelworks.core.errors import DataError, NotFound
from modelworks.sdk.access import PredictKey
from modelworks.sdk.bodies import openapi_json_body, parse_json_body
from modelworks.sdk.params import Bounds, flag, openapi_parameters
from modelworks.services.movies.schemas import (
    FEEDBACK_EXPECTED,
    RECOMMEND_EXPECTED,
    FeedbackRequest,
    RecommendRequest,
)

RECOMMENDATION_HEADER = "X-Recommendation-ID"
RECOMMEND_ANSWER = ("A JSON array of movie titles, best first; the recommendation's id (for "
                    "feedback) is in the X-Recommendation-ID header. With `detail=true`: "
                    "`{\"recommendations\": [...], \"id\": ..., \"scores\": {title: p}}`.")
DETAIL = Bounds(0, 1, 0, "Answer with an object: the titles, the recommendation id and each "
                         "title's probability of being rated 4 or more")

if TYPE_CHECKING:
    from modelworks.core.service import ServiceContext
    from modelworks.services.movies.model import DemographicRecommender
    from modelworks.services.movies.service import MoviesService


def build_router(service: MoviesService, context: ServiceContext) -> APIRouter:
    """Routes bound to one server's live model, prediction log and database."""
    router = APIRouter(prefix="/api", tags=["movies"])
    # A recommendation served by another worker may still wait in its log queue.
    log_delay = context.settings.log_flush_seconds + 0.3

    @router.post("/recommend", summary="Movie titles for an age, gender and occupation",
                 openapi_extra={**openapi_json_body(RecommendRequest), **openapi_parameters(
                     {}, {"detail": ("boolean", DETAIL)})},
                 responses={200: {"description": RECOMMEND_ANSWER, "headers": {
                     RECOMMENDATION_HEADER: {"description": "The id feedback refers to",
                                             "schema": {"type": "string", "format": "uuid"}}}}})
    async def recommend(request: Request, key: PredictKey) -> Response:
        # `include_scores` is what earlier modelworks clients sent for the same object.
        detail = (flag(request.query_params.get("detail"), "detail")
                  or flag(request.query_params.get("include_scores"), "include_scores"))
        body = parse_json_body(RecommendRequest, await request.body(), RECOMMEND_EXPECTED)
        loaded = context.live.current()
        model: DemographicRecommender = loaded.model
        started = time.perf_counter()
        picked = model.recommend(body.age, body.gender, body.occupation, body.max_recs)
        latency_ms = (time.perf_counter() - started) * 1000
        recommendation_id = str(uuid.uuid4())
        titles = [title for title, _ in picked]
        payload: list[str] | dict[str, Any] = titles  # the contract: a bare list of titles
        if detail:
            payload = {"recommendations": titles, "id": recommendation_id,
                       "scores": {title: round(score, 4) for title, score in picked}}
        context.predictions.record(
            service=service.name, model_version=loaded.version, request_id=recommendation_id,
            inputs=[body.model_dump()], outputs=[titles], latency_ms=latency_ms)
        return Response(orjson.dumps(payload), media_type="application/json",
                        headers={"X-Model-Version": f"{service.name}:{loaded.version}",
                                 RECOMMENDATION_HEADER: recommendation_id})

    @router.post("/recommend/feedback", summary="Rate a movie of an earlier recommendation",
                 openapi_extra=openapi_json_body(FeedbackRequest))
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

