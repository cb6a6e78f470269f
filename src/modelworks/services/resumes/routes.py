"""HTTP contract of the resumes service: classify a resume, read the prediction history."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import orjson
from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool

from modelworks.core.errors import DataError, PayloadTooLarge
from modelworks.sdk.access import ContractPredict, HistoryKey, TrainKey
from modelworks.sdk.bodies import openapi_json_body, parse_json_body
from modelworks.sdk.params import Bounds, flag, int_param, openapi_parameters
from modelworks.sdk.requests import request_id
from modelworks.services.resumes.history import PredictionHistory
from modelworks.services.resumes.schemas import INFERENCE_EXPECTED, MAX_PAGE, InferenceRequest
from modelworks.services.resumes.vocabulary import CATEGORIES

if TYPE_CHECKING:
    from modelworks.core.service import ServiceContext
    from modelworks.services.resumes.data import Resumes
    from modelworks.services.resumes.model import ResumeModel
    from modelworks.services.resumes.service import ResumesService

LIMIT = Bounds(1, MAX_PAGE, 50, "Rows per page")
OFFSET = Bounds(0, 10**9, 0, "Rows to skip")


def build_router(service: ResumesService, context: ServiceContext) -> APIRouter:
    """Routes bound to one server's live model and database."""
    router = APIRouter(prefix="/api", tags=["resumes"])
    history = PredictionHistory(context.engine)
    max_chars = context.settings.max_text_chars

    @router.post("/inference", summary="The job category of a resume (its label id, 0-13)",
                 openapi_extra={**openapi_json_body(InferenceRequest), **openapi_parameters(
                     {}, {"detail": ("boolean", Bounds(0, 1, 0, "Answer with category, "
                                                                "probabilities and the "
                                                                "prediction's id"))})})
    async def inference(request: Request, key: ContractPredict) -> Response:
        detail = flag(request.query_params.get("detail"), "detail")
        body = parse_json_body(InferenceRequest, await request.body(), INFERENCE_EXPECTED)
        text = body.text
        if not text.strip():
            raise DataError("text is empty: send the resume's text", field="text")
        if len(text) > max_chars:
            raise PayloadTooLarge(f"text has {len(text)} characters; the limit is {max_chars} "
                                  "(MODELWORKS_MAX_TEXT_CHARS)", field="text")
        loaded = context.live.current()
        model: ResumeModel = loaded.model
        started = time.perf_counter()
        answer = model.classify([text])[0]
        latency_ms = (time.perf_counter() - started) * 1000
        prediction_id = await run_in_threadpool(
            history.add, text=text, model_version=loaded.version, request_id=request_id(),
            label=answer.label, category=answer.category, probability=answer.probability,
            latency_ms=latency_ms)
        context.predictions.count(service.name, 1)  # the row itself is in resume_predictions
        payload: Any = answer.label
        if detail:
            payload = {"label": answer.label, "category": answer.category,
                       "probability": answer.probability,
                       "probabilities": answer.probabilities, "prediction_id": prediction_id,
                       "model_version": loaded.version}
        return Response(orjson.dumps(payload), media_type="application/json",
                        headers={"X-Model-Version": f"{service.name}:{loaded.version}"})

    @router.get("/predictions", summary="Stored resume predictions, newest first",
                openapi_extra=openapi_parameters({}, {"limit": ("integer", LIMIT),
                                                      "offset": ("integer", OFFSET)}))
    async def predictions(request: Request, key: HistoryKey) -> Response:
        query = request.query_params
        limit, offset = int_param(query, "limit", LIMIT), int_param(query, "offset", OFFSET)
        category = query.get("category")
        if category is not None and category not in CATEGORIES:
            raise DataError(f"unknown category {category[:60]!r}; one of: {', '.join(CATEGORIES)}",
                            field="category")
        page = await run_in_threadpool(history.page, limit=limit, offset=offset,
                                       category=category)
        return Response(orjson.dumps({"total": page.total, "limit": limit, "offset": offset,
                                      "items": page.items}), media_type="application/json")

    @router.get("/dataset", summary="The prepared training resumes (for exploration)")
    async def dataset(key: TrainKey) -> Response:
        path = await run_in_threadpool(service.prepare_data, context.settings)
        resumes: Resumes = (await run_in_threadpool(service.read_training_data, path)).rows
        rows = [{"resume": text, "label": int(label), "category": CATEGORIES[label]}
                for text, label in zip(resumes.texts, resumes.labels, strict=True)]
        return Response(orjson.dumps({"rows": rows, "categories": CATEGORIES}),
                        media_type="application/json")

    return router

