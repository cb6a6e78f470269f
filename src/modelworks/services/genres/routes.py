"""HTTP contract of the genres service."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Annotated

import orjson
from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from modelworks.core.service import TrainOptions
from modelworks.sdk.access import ContractPredict, ContractTrain
from modelworks.sdk.requests import request_id
from modelworks.sdk.uploads import openapi_form, read_form
from modelworks.services.genres.data import TOP_K, read_movies
from modelworks.services.genres.schemas import ranked_genres

if TYPE_CHECKING:
    from modelworks.core.service import ServiceContext
    from modelworks.services.genres.model import GenreClassifier
    from modelworks.services.genres.service import GenresService

TRAIN_FORM = openapi_form("CSV movie_id,synopsis,genres[,year]; genres space-separated",
                          file_required=True)
PREDICT_FORM = openapi_form("CSV movie_id,synopsis[,year]", file_required=True)


def build_router(service: GenresService, context: ServiceContext) -> APIRouter:
    """Routes bound to one server's live model and prediction log."""
    router = APIRouter(prefix="/genres", tags=["genres"])
    limit = context.settings.max_upload_bytes

    @router.post("/train", summary="Train on a CSV movie_id,synopsis,genres[,year]",
                 openapi_extra=TRAIN_FORM)
    async def train(request: Request, key: ContractTrain) -> Response:
        raw = (await read_form(request, limit)).required_file()
        await run_in_threadpool(service.read_training_data, raw)  # a 400 now, not a failed job
        result = await context.train_job(raw, TrainOptions())
        await run_in_threadpool(context.live.refresh)
        return Response(orjson.dumps(result), media_type="application/json",
                        headers={"X-Model-Version": f"{service.name}:{result['version']}"})

    @router.post("/predict", summary="Top-5 genres for each row of a CSV movie_id,synopsis[,year]",
                 openapi_extra=PREDICT_FORM)
    async def predict(
        request: Request,
        key: ContractPredict,
        include_scores: Annotated[bool, Query(description="Add each genre's probability")] = False,
    ) -> Response:
        raw = (await read_form(request, limit)).required_file()
        movies = await run_in_threadpool(read_movies, raw, with_genres=False,
                                         max_rows=context.settings.max_predict_rows)
        loaded = context.live.current()
        model: GenreClassifier = loaded.model
        started = time.perf_counter()
        rankings = await run_in_threadpool(model.rank, movies.synopses, movies.years, TOP_K)
        latency_ms = (time.perf_counter() - started) * 1000
        body = {movie_id: ranked_genres(ranking, include_scores)
                for movie_id, ranking in zip(movies.ids, rankings, strict=True)}
        context.predictions.record(
            service=service.name,
            model_version=loaded.version,
            request_id=request_id(),
            inputs=[{"movie_id": m, "year": y, "synopsis": s}
                    for m, y, s in zip(movies.ids, movies.years, movies.synopses, strict=True)],
            outputs=[[genre for genre, _ in ranking] for ranking in rankings],
            latency_ms=latency_ms,
        )
        return Response(orjson.dumps(body), media_type="application/json",
                        headers={"X-Model-Version": f"{service.name}:{loaded.version}"})

    return router
