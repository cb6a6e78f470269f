"""HTTP contract of the genres service: training (a job, waited for) and the predict endpoint."""

from __future__ import annotations

from typing import TYPE_CHECKING

import orjson
from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool

from modelworks.core.service import TrainOptions
from modelworks.sdk.access import ContractTrain, Requirement, Scope
from modelworks.sdk.endpoints import (
    Answer,
    Batch,
    CsvUpload,
    Endpoint,
    Example,
    QueryOption,
    Received,
)
from modelworks.sdk.uploads import openapi_form, read_form
from modelworks.services.genres.data import TOP_K, Movies, read_movies
from modelworks.services.genres.schemas import PREDICT_EXAMPLE, GenreRanking, ranked_genres
from modelworks.services.genres.settings import GenresSettings

if TYPE_CHECKING:
    from modelworks.core.live import Loaded
    from modelworks.core.service import ServiceContext
    from modelworks.services.genres.model import GenreClassifier
    from modelworks.services.genres.service import GenresService

Ranking = list[tuple[str, float]]

TRAIN_FORM = openapi_form("CSV movie_id,synopsis,genres[,year]; genres space-separated",
                          file_required=True)
INCLUDE_SCORES = QueryOption("include_scores", "boolean", "Add each genre's probability")


def build_router(service: GenresService, context: ServiceContext) -> APIRouter:
    """``POST /genres/train``: a training job on the upload, answered when it ends."""
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

    return router


def build_endpoints(context: ServiceContext) -> list[Endpoint]:
    """``POST /genres/predict``: five genres, ranked, for each movie of a CSV."""
    max_rows = context.settings.for_service("genres", GenresSettings).max_predict_rows

    def rank(loaded: Loaded[GenreClassifier], requests: list[Received[bytes]]
             ) -> list[tuple[Movies, list[Ranking]]]:
        csvs = [read_movies(received.body, with_genres=False, max_rows=max_rows)
                for received in requests]
        # One model call for every movie of every request: its fixed cost is paid once.
        rankings = loaded.model.rank([s for movies in csvs for s in movies.synopses],
                                     [y for movies in csvs for y in movies.years], TOP_K)
        results, start = [], 0
        for movies in csvs:
            results.append((movies, rankings[start:start + len(movies.ids)]))
            start += len(movies.ids)
        return results

    def answer(loaded: Loaded[GenreClassifier], received: Received[bytes],
               ranked: tuple[Movies, list[Ranking]]) -> Answer:
        movies, rankings = ranked
        include_scores = bool(received.query["include_scores"])
        body = {movie_id: ranked_genres(ranking, include_scores)
                for movie_id, ranking in zip(movies.ids, rankings, strict=True)}
        return Answer(
            body,
            inputs=[{"movie_id": m, "year": y, "synopsis": s}
                    for m, y, s in zip(movies.ids, movies.years, movies.synopses, strict=True)],
            outputs=[[[genre, round(score, 4)] for genre, score in ranking]
                     for ranking in rankings])

    def predict(loaded: Loaded[GenreClassifier], received: Received[bytes]) -> Answer:
        return answer(loaded, received, rank(loaded, [received])[0])

    return [Endpoint(
        "POST", "/genres/predict",
        summary="Top-5 genres for each row of a CSV movie_id,synopsis[,year]",
        description="The answer maps each `movie_id` to its five most likely genres, best first.",
        request=CsvUpload("CSV movie_id,synopsis[,year]", (INCLUDE_SCORES,)),
        response=dict[str, GenreRanking], predict=predict, cpu_bound=True,
        batch=Batch(run=rank, finish=answer, max_size=16),
        access=Requirement(Scope.PREDICT, open_in_contract=True),
        examples=(Example("Two synopses", PREDICT_EXAMPLE),),
        response_example={"1": {"0": "Western", "1": "Action", "2": "Drama", "3": "Adventure",
                                "4": "Comedy"}})]
