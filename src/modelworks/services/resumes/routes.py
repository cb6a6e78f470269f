"""HTTP contract of the resumes service: classify a resume, read the prediction history."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import orjson
from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool

from modelworks.core.errors import DataError, PayloadTooLarge
from modelworks.sdk.access import HistoryKey, PredictKey, Requirement, Scope, TrainKey
from modelworks.sdk.bodies import parse_json_body
from modelworks.sdk.endpoints import (
    Answer,
    Batch,
    Endpoint,
    Example,
    JsonBody,
    QueryOption,
    Received,
)
from modelworks.sdk.params import Bounds, int_param, openapi_parameters
from modelworks.sdk.requests import request_id
from modelworks.services.resumes.generator import folder_samples, unseen_samples
from modelworks.services.resumes.history import PredictionHistory, text_sha256
from modelworks.services.resumes.schemas import (
    INFERENCE_EXPECTED,
    MAX_PAGE,
    InferenceDetail,
    InferenceRequest,
)
from modelworks.services.resumes.settings import ResumesSettings
from modelworks.services.resumes.vocabulary import CATEGORIES

if TYPE_CHECKING:
    from modelworks.core.live import Loaded
    from modelworks.core.service import ServiceContext
    from modelworks.services.resumes.data import Resumes
    from modelworks.services.resumes.model import Classified, ResumeModel
    from modelworks.services.resumes.service import ResumesService

DETAIL = QueryOption("detail", "boolean", "Answer with category, probabilities and the "
                                          "prediction's id")
LIMIT = Bounds(1, MAX_PAGE, 50, "Rows per page")
OFFSET = Bounds(0, 10**9, 0, "Rows to skip")


MAX_SAMPLE_EXAMPLES = 30
"""Sample resumes at most that the endpoint documents as examples."""


def build_endpoints(history: PredictionHistory, context: ServiceContext) -> list[Endpoint]:
    """``POST /api/inference``: a resume's category (its label 0-13), stored before it answers.

    Concurrent resumes are classified together (``Batch``): one vectorizer and one matrix
    product for many, which is where a batch gains.
    """
    max_chars = context.settings.max_text_chars
    # The samples folder's resumes are examples too: the dashboard's Try form offers each.
    samples = folder_samples(context.settings.for_service("resumes", ResumesSettings).samples_dir)
    examples = (Example("An Oracle DBA", {"text": "Oracle DBA with 8 years of RMAN, Data "
                                                  "Guard and RAC on 19c"}),
                *(Example(f"sample: {name}", {"text": text[:max_chars]})
                  for name, text in list(samples.items())[:MAX_SAMPLE_EXAMPLES]))

    def read(raw: bytes) -> InferenceRequest:
        body = parse_json_body(InferenceRequest, raw, INFERENCE_EXPECTED)
        if not body.text.strip():
            raise DataError("text is empty: send the resume's text", field="text")
        if len(body.text) > max_chars:
            raise PayloadTooLarge(f"text has {len(body.text)} characters; the limit is "
                                  f"{max_chars} (MODELWORKS_MAX_TEXT_CHARS)", field="text")
        return body

    def classify(loaded: Loaded[ResumeModel], requests: list[Received[InferenceRequest]]
                 ) -> list[tuple[Classified, float]]:
        started = time.perf_counter()
        answers = loaded.model.classify([received.body.text for received in requests])
        latency_ms = (time.perf_counter() - started) * 1000
        return [(answer, latency_ms) for answer in answers]

    async def store(loaded: Loaded[ResumeModel], received: Received[InferenceRequest],
                    result: tuple[Classified, float]) -> Answer:
        answer, latency_ms = result
        text = received.body.text
        digest = text_sha256(text)
        prediction_id = await history.add(
            text=text, model_version=loaded.version, request_id=request_id(),
            label=answer.label, category=answer.category, probability=answer.probability,
            latency_ms=latency_ms, digest=digest)
        payload: Any = answer.label  # the contract: the bare label
        if received.query["detail"]:
            payload = {"label": answer.label, "category": answer.category,
                       "probability": answer.probability,
                       "probabilities": answer.probabilities, "prediction_id": prediction_id,
                       "model_version": loaded.version}
        # The log keeps what the history keeps: a hash and a length, never the resume.
        logged = {"prediction_id": prediction_id, "text_sha256": digest, "chars": len(text)}
        return Answer(payload, inputs=[logged], outputs=[
            {"category": answer.category, "probability": answer.probability}])

    async def inference(loaded: Loaded[ResumeModel], received: Received[InferenceRequest]
                        ) -> Answer:
        return await store(loaded, received, classify(loaded, [received])[0])

    return [Endpoint(
        "POST", "/api/inference", summary="The job category of a resume (its label id, 0-13)",
        description="The bare label by default; `detail=true` adds the category, every "
                    "category's probability and the stored prediction's id.",
        request=JsonBody(InferenceRequest, parse=read, options=(DETAIL,)),
        response=int | InferenceDetail, predict=inference, cpu_bound=True,
        # The event loop stays free while a resume is classified, so requests that arrive
        # meanwhile are seen and batched (the history row no longer makes a request wait).
        batch=Batch(run=classify, finish=store, max_size=32),
        access=Requirement(Scope.PREDICT, open_in_contract=True),
        examples=examples,
        response_example=7)]


def build_router(service: ResumesService, context: ServiceContext,
                 history: PredictionHistory) -> APIRouter:
    """The stored predictions and the training resumes."""
    router = APIRouter(prefix="/api", tags=["resumes"])
    samples_dir = context.settings.for_service("resumes", ResumesSettings).samples_dir

    history_parameters = openapi_parameters({}, {"limit": ("integer", LIMIT),
                                                 "offset": ("integer", OFFSET)})
    history_parameters["parameters"].append({
        "name": "category", "in": "query", "required": False,
        "description": "Only predictions of this category",
        "schema": {"type": "string", "enum": list(CATEGORIES)}})

    @router.get("/samples", summary="Resumes to try: the samples folder's, then one generated "
                                     "per category that no model trained on")
    async def samples(key: PredictKey) -> dict[str, dict[str, str]]:
        generated = await run_in_threadpool(unseen_samples)
        return {"samples": {**await run_in_threadpool(folder_samples, samples_dir),
                            **{f"generated: {category}": text
                               for category, text in generated.items()}}}

    @router.get("/predictions", summary="Stored resume predictions, newest first",
                openapi_extra=history_parameters)
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

