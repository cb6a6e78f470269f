"""HTTP API of background training jobs."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from modelworks.core.errors import DataError, NotFound
from modelworks.core.plugins import unknown_service
from modelworks.core.service import TrainOptions
from modelworks.core.training import choose_model
from modelworks.sdk.access import TrainKey
from modelworks.sdk.params import flag
from modelworks.sdk.uploads import openapi_form, read_form
from modelworks.server.jobs.runner import JobRunner
from modelworks.server.jobs.store import JobStore

MAX_NAME_CHARS = 200
FORM_FIELDS = {"model": "Model kind, for services offering several",
               "name": f"A label for the version (at most {MAX_NAME_CHARS} characters)",
               "register": "false: evaluate only (default true)"}
FORM_EXAMPLES = {"name": "baseline", "register": "true"}

if TYPE_CHECKING:
    from modelworks.core.service import Service
    from modelworks.core.settings import Settings


def build_jobs_router(services: dict[str, Service], store: JobStore, runner: JobRunner,
                      settings: Settings) -> APIRouter:
    """``POST /models/{service}/train`` and ``/jobs``."""
    router = APIRouter(tags=["jobs"])

    @router.post("/models/{service}/train", status_code=202,
                 summary="Start a training job on an upload or on the prepared data",
                 openapi_extra=openapi_form(
                     "Training data in the service's format; absent: the prepared data",
                     file_required=False, fields=FORM_FIELDS, examples=FORM_EXAMPLES))
    async def start_job(service: str, request: Request, key: TrainKey) -> JSONResponse:
        if service not in services:
            raise NotFound(unknown_service(service, sorted(services), "enabled"))
        form = await read_form(request, settings.max_upload_bytes, fields=tuple(FORM_FIELDS),
                               empty_allowed=True)
        model = form.fields.get("model") or None
        name = form.fields.get("name", "")
        if len(name) > MAX_NAME_CHARS:
            raise DataError(f"name has {len(name)} characters; at most {MAX_NAME_CHARS}",
                            field="name")
        chosen = choose_model(services[service], model)
        options = dataclasses.asdict(TrainOptions(
            model=model, name=name, register=flag(form.fields.get("register"), "register")
            if "register" in form.fields else True))
        raw = form.file
        if raw is not None:
            # Refuse bad data now, with the service's message, rather than in a failed job.
            await run_in_threadpool(chosen.read_training_data, raw)
        job_id = await run_in_threadpool(runner.submit, service, options, raw)
        state = (await run_in_threadpool(store.get, job_id)).state
        return JSONResponse({"job_id": job_id, "state": state,
                             "status_url": f"/jobs/{job_id}"}, status_code=202)

    @router.get("/jobs", summary="Recent jobs, newest first")
    def list_jobs(
        key: TrainKey,
        service: Annotated[str | None, Query(description="One service's jobs only")] = None,
        limit: Annotated[int, Query(ge=1, le=500, description="At most this many")] = 50,
    ) -> dict[str, Any]:
        return {"jobs": [job.to_json() for job in store.recent(service, limit)]}

    @router.get("/jobs/{job_id}", summary="A job's state, progress, metrics or error")
    def show_job(job_id: str, key: TrainKey) -> dict[str, Any]:
        return store.get(job_id).to_json()

    @router.delete("/jobs/{job_id}", summary="Cancel a queued or running job")
    def cancel_job(job_id: str, key: TrainKey) -> dict[str, Any]:
        return store.cancel(job_id).to_json()

    return router


