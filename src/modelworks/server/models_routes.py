"""The registry over HTTP: versions, their reports, promotion and rollback.

Reading versions needs the ``train`` scope (whoever may register a version may see the
others); moving the live alias needs ``admin``. Every answer about a service is its whole
state after the change, so a client that promoted or rolled back redraws from it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePosixPath
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, Field

from modelworks.core.errors import ModelworksError, NotFound
from modelworks.core.live import LiveModel
from modelworks.core.plugins import unknown_service
from modelworks.core.registry import Manifest, Registry
from modelworks.core.reports import report_names
from modelworks.core.service import Selectable
from modelworks.sdk.access import AdminKey, TrainKey
from modelworks.sdk.bodies import openapi_json_body, parse_json_body, read_small_body
from modelworks.server.worker_status import WorkerStatus

REPORT_TYPES = {".png": "image/png", ".svg": "image/svg+xml", ".html": "text/html",
                ".pdf": "application/pdf", ".json": "application/json"}
"""Media types of the report files a version may store."""


class LiveRequest(BaseModel):
    """Body of ``PUT /models/{service}/live``."""

    version: int = Field(ge=1, description="Registry version to make live")


def build_models_router(registry: Registry, live: dict[str, LiveModel[Any]],
                        worker_status: WorkerStatus, publish_live: Callable[[], None]
                        ) -> APIRouter:
    """``/models`` routes over ``registry`` for the enabled services in ``live``."""
    router = APIRouter(tags=["models"])

    def status(service: str) -> dict[str, Any]:
        return model_status(registry, live, service, worker_status)

    @router.get("/models", summary="Every service's versions and live model")
    def list_models(key: TrainKey) -> dict[str, Any]:
        return {name: status(name) for name in live}

    @router.get("/models/{service}", summary="One service's versions and live model")
    def show_model(service: str, key: TrainKey) -> dict[str, Any]:
        live_of(live, service)
        return status(service)

    @router.get("/models/{service}/versions/{version}",
                summary="One version: metrics, parameters, data hash, gate decision, evaluation")
    def show_version(service: str, version: int, key: TrainKey) -> dict[str, Any]:
        live_of(live, service)
        manifest = registry.manifest(service, version)
        notes = manifest.notes
        return {**_summary(manifest, registry.problem(service, version),
                           registry.live_version(service)),
                "libraries": manifest.libraries, "holdout_rows": notes.get("holdout_rows"),
                "evaluation": notes.get("evaluation") or {}}

    @router.get("/models/{service}/versions/{version}/reports/{name}",
                summary="A report file the version stored (a figure, a page)",
                responses={200: {"content": {kind: {} for kind in REPORT_TYPES.values()}}})
    def report(service: str, version: int, name: str, key: TrainKey) -> Response:
        live_of(live, service)
        manifest = registry.manifest(service, version)
        if name not in report_names(manifest):
            raise NotFound(f"{service} v{version} stores no report {name!r}; it stores: "
                           f"{', '.join(report_names(manifest)) or 'none'}")
        # Read from the verified folder: a changed file is refused, never served.
        content = (registry.verified_folder(service, version) / name).read_bytes()
        kind = REPORT_TYPES.get(PurePosixPath(name).suffix, "application/octet-stream")
        return Response(content, media_type=kind)

    def moved(service: str, move: Callable[[], object]) -> dict[str, Any]:
        model = live_of(live, service)
        move()
        model.refresh()  # this worker at once; the others at their next poll
        publish_live()
        return status(service)

    @router.put("/models/{service}/live", summary="Move the live alias",
                openapi_extra=openapi_json_body(LiveRequest, {"version 1": {"version": 1}}))
    async def set_live(service: str, request: Request, key: AdminKey) -> dict[str, Any]:
        live_of(live, service)
        body = parse_json_body(LiveRequest, await read_small_body(request, 4096),
                               {"version": "a registered version number"})
        return await run_in_threadpool(
            moved, service, lambda: registry.promote(service, body.version))

    @router.post("/models/{service}/rollback",
                 summary="Make the previous live version live again",
                 responses={404: {"description": "No earlier live version"},
                            409: {"description": "No earlier live version verifies"}})
    async def roll_back(service: str, key: AdminKey) -> dict[str, Any]:
        live_of(live, service)
        return await run_in_threadpool(moved, service, lambda: registry.rollback(service))

    return router


def live_of(live: dict[str, LiveModel[Any]], service: str) -> LiveModel[Any]:
    """The enabled service's live model; ``NotFound`` naming the enabled ones otherwise."""
    if service not in live:
        raise NotFound(unknown_service(service, sorted(live), "enabled"))
    return live[service]


def model_status(registry: Registry, live: dict[str, LiveModel[Any]], name: str,
                 worker_status: WorkerStatus) -> dict[str, Any]:
    """A service's registry state: every version, the live one, what this worker loaded."""
    model = live[name]
    service = model.service
    live_version = registry.live_version(name)
    return {
        "service": name,
        "primary_metric": service.primary_metric,
        "model_kinds": list(service.model_kinds) if isinstance(service, Selectable) else [],
        "live": live_version,
        "loaded": model.version,
        "last_error": model.last_error,
        "workers": worker_status.workers(live, name),
        "versions": _versions(registry, name, live_version),
    }


def _versions(registry: Registry, service: str, live_version: int | None
              ) -> list[dict[str, Any]]:
    """Every version folder; one that fails verification is listed with ``broken`` set."""
    listed: list[dict[str, Any]] = []
    for number in registry.version_numbers(service):
        broken = registry.problem(service, number)
        try:
            manifest = registry.manifest(service, number)
        except ModelworksError:
            listed.append({"version": number, "broken": broken, "created_at": "", "metrics": {},
                           "rows": 0, "params": {}, "name": "", "gate": None,
                           "data_sha256": "", "kind": "", "reports": [],
                           "live": number == live_version})
            continue
        listed.append(_summary(manifest, broken, live_version))
    return listed


def _summary(manifest: Manifest, broken: str | None, live_version: int | None
             ) -> dict[str, Any]:
    notes = manifest.notes
    return {"service": manifest.service, "version": manifest.version, "broken": broken,
            "created_at": manifest.created_at, "metrics": manifest.metrics,
            "rows": manifest.n_rows, "params": manifest.params,
            "name": notes.get("name", ""), "gate": notes.get("gate"),
            "data_sha256": manifest.data_sha256, "kind": version_kind(manifest),
            "reports": report_names(manifest), "live": manifest.version == live_version}


def version_kind(manifest: Manifest) -> str:
    """The model kind a version was trained as (recorded since kinds were; else its params)."""
    kind = manifest.notes.get("model") or manifest.params.get("kind") or ""
    return str(kind)
