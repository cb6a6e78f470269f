"""HTTP contract of the similarity service: ``POST /predict`` and ``GET /health``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import orjson
from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from modelworks.server.auth import PredictKey
from modelworks.services.similarity.cache import EmbeddingCache, MemoryCache, RedisCache
from modelworks.services.similarity.monitoring import SimilarityMetrics
from modelworks.services.similarity.schemas import parse_predict

if TYPE_CHECKING:
    from modelworks.core.service import ServiceContext
    from modelworks.core.settings import Settings
    from modelworks.services.similarity.model import SimilarityModel
    from modelworks.services.similarity.service import SimilarityService


def make_cache(settings: Settings) -> EmbeddingCache:
    """Redis when ``MODELWORKS_REDIS_URL`` is set, else a bounded in-process LRU."""
    if settings.redis_url:
        return RedisCache(settings.redis_url)
    return MemoryCache(settings.embedding_cache_entries)


def build_router(service: SimilarityService, context: ServiceContext) -> APIRouter:
    """Routes bound to one server's live model and embedding cache."""
    router = APIRouter(tags=["similarity"])
    cache = make_cache(context.settings)
    monitor = SimilarityMetrics(context.metrics, cache)
    max_chars = context.settings.max_text_chars

    @router.post("/predict", summary="Rank product descriptions for each query")
    async def predict(request: Request, key: PredictKey) -> Response:
        body = parse_predict(await request.body(), max_chars)
        loaded = context.live.current()
        model: SimilarityModel = loaded.model
        answers = await run_in_threadpool(model.search, body.queries, body.descriptions,
                                          body.top_k, body.min_score, cache)
        monitor.observe("predict", answers)
        payload = {"queries": body.queries, "results": [
            {"query": query, "results": [
                {"product_description": body.descriptions[match.index],
                 "score": round(match.score, 4)} for match in matches]}
            for query, matches in zip(body.queries, answers, strict=True)]}
        return Response(orjson.dumps(payload), media_type="application/json",
                        headers={"X-Model-Version": f"{service.name}:{loaded.version}"})

    @router.get("/predict", include_in_schema=False)
    async def predict_get() -> JSONResponse:
        return JSONResponse({"message": "This endpoint only supports POST requests"},
                            status_code=405, headers={"Allow": "POST"})

    @router.get("/health", summary="The similarity service answers")
    async def health() -> dict[str, str]:
        return {"status": "healthy"}

    return router
