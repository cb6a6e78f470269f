"""HTTP contract of the similarity service: ``POST /predict`` and ``GET /health``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson
from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from modelworks.sdk.access import PredictKey, Requirement, Scope, TrainKey
from modelworks.sdk.bodies import openapi_json_body
from modelworks.sdk.endpoints import Answer, Batch, Endpoint, Example, JsonBody, Received
from modelworks.services.similarity.cache import EmbeddingCache, MemoryCache, RedisCache
from modelworks.services.similarity.catalog import CatalogStore, Product
from modelworks.services.similarity.catalog_schemas import (
    IDS_EXAMPLE,
    PRODUCTS_EXAMPLE,
    SEARCH_EXAMPLES,
    IdsBody,
    ProductsBody,
    SearchBody,
)
from modelworks.services.similarity.model import Match, SimilarityModel
from modelworks.services.similarity.monitoring import SimilarityMetrics
from modelworks.services.similarity.schemas import (
    SEED_EXAMPLE,
    Caps,
    PredictAnswer,
    PredictBody,
    PredictRequest,
    catalog_name,
    parse_ids,
    parse_predict,
    parse_products,
    parse_search,
)
from modelworks.services.similarity.settings import SimilaritySettings

if TYPE_CHECKING:
    from modelworks.core.live import Loaded
    from modelworks.core.service import ServiceContext
    from modelworks.core.settings import Settings
    from modelworks.services.similarity.service import SimilarityService


def make_cache(settings: Settings) -> EmbeddingCache:
    """Redis when ``MODELWORKS_REDIS_URL`` is set, else a bounded in-process LRU."""
    if settings.redis_url:
        return RedisCache(settings.redis_url)
    return MemoryCache(settings.for_service("similarity", SimilaritySettings)
                       .embedding_cache_entries)


def build_endpoints(cache: EmbeddingCache, monitor: SimilarityMetrics,
                    context: ServiceContext) -> list[Endpoint]:
    """``POST /predict``: product descriptions ranked by meaning for each query."""
    options = context.settings.for_service("similarity", SimilaritySettings)
    caps = Caps(context.settings.max_text_chars, options.max_texts, options.max_pairs)

    def rank(loaded: Loaded[SimilarityModel], requests: list[Received[PredictRequest]]
             ) -> list[list[list[Match]]]:
        return loaded.model.search_many([received.body for received in requests], cache)

    def answer(loaded: Loaded[SimilarityModel], received: Received[PredictRequest],
               answers: list[list[Match]]) -> Answer:
        body = received.body
        monitor.observe("predict", answers)
        results = [[{"product_description": body.descriptions[match.index],
                     "score": round(match.score, 4)} for match in matches]
                   for matches in answers]
        payload = {"queries": body.queries, "results": [
            {"query": query, "results": found}
            for query, found in zip(body.queries, results, strict=True)]}
        return Answer(payload, inputs=[{"query": query, "descriptions": len(body.descriptions)}
                                       for query in body.queries],
                      outputs=[[(r["product_description"], r["score"]) for r in found]
                               for found in results])

    def predict(loaded: Loaded[SimilarityModel], received: Received[PredictRequest]
                ) -> Answer:
        return answer(loaded, received, rank(loaded, [received])[0])

    return [Endpoint(
        "POST", "/predict", summary="Rank product descriptions for each query",
        description="For each query, at most `top_k` descriptions (default 10), best first, "
                    "with their cosine similarity. `query` (a string or a list) is read like "
                    "`queries`.",
        request=JsonBody(PredictBody, parse=lambda raw: parse_predict(raw, caps)),
        response=PredictAnswer, predict=predict, cpu_bound=True,
        # Concurrent requests share one encoder call: its fixed cost is paid once.
        batch=Batch(run=rank, finish=answer, max_size=32),
        access=Requirement(Scope.PREDICT, open_in_contract=True),
        examples=(Example("The seed document's example", SEED_EXAMPLE),),
        response_example={"queries": SEED_EXAMPLE["query"], "results": [
            {"query": SEED_EXAMPLE["query"][0], "results": [
                {"product_description": SEED_EXAMPLE["product_descriptions"][1],
                 "score": 0.3861},
                {"product_description": SEED_EXAMPLE["product_descriptions"][0],
                 "score": 0.3338}]}]})]


def build_router(service: SimilarityService, context: ServiceContext, cache: EmbeddingCache,
                 monitor: SimilarityMetrics) -> APIRouter:
    """The 405 of ``GET /predict``, ``GET /health`` and the catalogues."""
    router = APIRouter(tags=["similarity"])
    max_chars = context.settings.max_text_chars

    @router.get("/predict", include_in_schema=False)
    async def predict_get() -> JSONResponse:
        return JSONResponse({"message": "This endpoint only supports POST requests"},
                            status_code=405, headers={"Allow": "POST"})

    catalogs = CatalogStore(context.engine, context.settings.home / "catalogs")

    @router.post("/catalogs/{name}/products", summary="Add or update products of a catalogue",
                 openapi_extra=openapi_json_body(ProductsBody,
                                                 {"three products": PRODUCTS_EXAMPLE}))
    async def add_products(name: str, request: Request, key: TrainKey) -> dict[str, Any]:
        name = catalog_name(name)
        parsed = parse_products(await request.body(), max_chars)
        model: SimilarityModel = context.live.current().model
        vectors = await run_in_threadpool(model.embed, [p[1] for p in parsed], cache)
        products = [Product(*p) for p in parsed]
        size = await run_in_threadpool(catalogs.upsert, name, products, vectors,
                                       model.encoder_id_)
        return {"catalog": name, "upserted": len(products), "size": size}

    @router.delete("/catalogs/{name}/products", summary="Remove products from a catalogue",
                   openapi_extra=openapi_json_body(IdsBody, {"one product": IDS_EXAMPLE}))
    async def remove_products(name: str, request: Request, key: TrainKey) -> dict[str, Any]:
        name = catalog_name(name)
        deleted, size = await run_in_threadpool(catalogs.remove, name,
                                                parse_ids(await request.body()))
        return {"catalog": name, "deleted": deleted, "size": size}

    @router.post("/catalogs/{name}/search", summary="The products that best match a query",
                 openapi_extra=openapi_json_body(SearchBody, SEARCH_EXAMPLES))
    async def search(name: str, request: Request, key: PredictKey) -> Response:
        name = catalog_name(name)
        body = parse_search(await request.body(), max_chars)
        loaded = context.live.current()
        model: SimilarityModel = loaded.model
        query = (await run_in_threadpool(model.embed, [body.query], cache))[0]
        hits = await run_in_threadpool(catalogs.search, name, query, body.top_k,
                                       body.min_score, body.filters, model.encoder_id_,
                                       model.embed)
        monitor.observe("catalog", [[Match(0, hit.score) for hit in hits]])
        context.predictions.count(service.name, 1)
        payload = {"catalog": name, "query": body.query, "results": [
            {"id": hit.product.id, "description": hit.product.description,
             "metadata": hit.product.attributes, "score": round(hit.score, 4)}
            for hit in hits]}
        return Response(orjson.dumps(payload), media_type="application/json",
                        headers={"X-Model-Version": f"{service.name}:{loaded.version}"})

    @router.get("/health", summary="The similarity service answers")
    async def health() -> dict[str, str]:
        return {"status": "healthy"}

    return router
