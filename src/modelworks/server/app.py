"""The application factory: one FastAPI app serving every enabled service."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import sys
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from modelworks.core.budget import current_budget
from modelworks.core.errors import ClientGone, ModelworksError, TrainingFailed
from modelworks.core.live import LiveModel
from modelworks.core.plugins import load_services
from modelworks.core.registry import Registry
from modelworks.core.service import Service, ServiceContext, TrainOptions
from modelworks.core.settings import AuthMode, Settings
from modelworks.sdk.requests import request_id
from modelworks.server.auth import KeyStore, authorize
from modelworks.server.authenticate import build_auth_router
from modelworks.server.db import make_engine, migrate
from modelworks.server.docs import build_docs_router, docs_description
from modelworks.server.endpoints import mount
from modelworks.server.feedback import FeedbackStore
from modelworks.server.heap import HeapTrimmer
from modelworks.server.index import build_root_router, describe_auth, documented_routes
from modelworks.server.jobs.routes import build_jobs_router
from modelworks.server.jobs.runner import JobRunner
from modelworks.server.jobs.store import JobState, JobStore
from modelworks.server.keys_routes import build_keys_router
from modelworks.server.limiter import FailureLimiter
from modelworks.server.metrics import JobStatesCollector, ServerMetrics, SpoolCollector
from modelworks.server.middleware import RequestMiddleware
from modelworks.server.models_routes import build_models_router
from modelworks.server.monitoring import build_monitoring_router
from modelworks.server.openapi import install_security
from modelworks.server.prediction_log import PredictionLog
from modelworks.server.tokens import TokenIssuer
from modelworks.server.worker_status import WorkerStatus

log = logging.getLogger(__name__)
VERSION = "0.1.0"
_SWITCH_INTERVAL_SECONDS = 0.001
_JOB_POLL_SECONDS = 0.25


def create_app(settings: Settings, services: dict[str, Service] | None = None) -> FastAPI:
    """Build the app; models load and the log writer starts when the app starts (lifespan)."""
    services = services if services is not None else load_services(settings, settings.services)
    registry = Registry.from_settings(settings)
    engine = make_engine(settings.resolved_database_url)
    metrics = ServerMetrics()
    predictions = PredictionLog(engine, flush_seconds=settings.log_flush_seconds,
                                batch_size=settings.log_batch_size, counter=metrics.predictions,
                                spool_dir=settings.spool_dir)
    live: dict[str, LiveModel[Any]] = {name: LiveModel(s, registry)
                                       for name, s in services.items()}
    jobs = JobStore(engine)
    limiter = FailureLimiter(settings.auth_max_failures, settings.auth_failure_window_seconds,
                             engine)
    runner = JobRunner(settings, jobs)
    metrics.scraped.register(JobStatesCollector(jobs.counts_by_state))
    metrics.scraped.register(SpoolCollector(settings.spool_dir))
    worker_status = WorkerStatus(settings.run_dir)

    def fail_abandoned_jobs() -> None:
        jobs.fail_abandoned()

    # Every server marks jobs whose process died as failed and hands free heap pages back;
    # services append their own tasks.
    periodic: list[Callable[[], None]] = [fail_abandoned_jobs, runner.periodic, HeapTrimmer()]
    stop_polling = threading.Event()
    on_stop: list[Callable[[], None]] = []

    def publish_live() -> None:
        for name, model in live.items():
            if model.version is not None:
                metrics.model_version.labels(name).set(model.version)
        worker_status.publish(live)

    def refresh_all() -> None:
        for model in live.values():
            model.refresh()
        publish_live()
        for task in periodic:
            try:
                task()
            except Exception:  # a failing task must not stop the poller or the swaps
                log.exception("periodic task failed")

    def poll() -> None:
        while not stop_polling.wait(settings.live_poll_seconds):
            try:
                refresh_all()
            except Exception:  # the poller must outlive any one failure, or swaps stop
                log.exception("live model refresh round failed")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The background threads (prediction-log writer, poller) run Python for a few
        # milliseconds at a time; a shorter switch interval hands the GIL back to the event
        # loop sooner, which keeps them out of the request latency tail.
        sys.setswitchinterval(_SWITCH_INTERVAL_SECONDS)
        app.state.keys = prepare_database(settings, engine)
        if app.state.keys is not None:  # with auth off nothing is limited or revoked
            periodic.extend([app.state.keys.sync, limiter.sync])
        predictions.start()
        refresh_all()
        poller = threading.Thread(target=poll, name="live-model-poller", daemon=True)
        poller.start()
        on_ready = getattr(app.state, "on_ready", None)
        if on_ready is not None:  # the CLI's banner, once the models are loaded
            on_ready()
        try:
            yield
        finally:
            stop_polling.set()
            poller.join()
            for task in on_stop:
                try:
                    task()
                except Exception:  # one service's failure must not keep the others' work
                    log.exception("stop task failed")
            predictions.stop()
            engine.dispose()

    # docs_url and redoc_url off: FastAPI's pages load their scripts from a CDN; the docs
    # router serves the same pages from files installed with the server.
    app = FastAPI(title="modelworks", version=VERSION, lifespan=lifespan, docs_url=None,
                  redoc_url=None, description=docs_description(settings.auth))
    app.state.keys = None
    app.state.authorize = authorize
    app.state.contract_auth = settings.auth is AuthMode.CONTRACT
    app.state.tokens = TokenIssuer.from_settings(settings)
    app.state.settings = settings
    app.state.live = live
    app.state.registry = registry
    app.state.engine = engine
    app.add_middleware(RequestMiddleware, metrics=metrics,
                       max_upload_bytes=settings.max_upload_bytes,
                       timeout_seconds=settings.request_timeout_seconds)
    _install_error_handlers(app)
    jobs_router = build_jobs_router(services, jobs, runner, settings)
    auth_router = build_auth_router(app.state.tokens, limiter)
    app.state.limiter = limiter

    service_routes: dict[str, list[APIRoute]] = {}
    service_routers: list[APIRouter] = []
    for name, service in services.items():
        context = ServiceContext(
            settings=settings, live=live[name], predictions=predictions, engine=engine,
            train_job=partial(_train_job, name, jobs, runner),
            feedback=FeedbackStore(engine, name), periodic=periodic, on_stop=on_stop,
            metrics=metrics.registry)
        router = service.router(context)
        # Declared prediction endpoints go straight on the application's router, before every
        # other route: routing tries routes in order, one regular expression each. (A service's
        # router may carry a prefix; an endpoint's path is absolute, as the seed contracts are.)
        endpoint_routes = [
            mount(app.router, endpoint, service=name, live=live[name], sink=predictions,
                  max_upload_bytes=settings.max_upload_bytes,
                  batch_size=settings.batch_sizes.get(name),
                  on_batch=metrics.batch_size.labels(name).observe,
                  inline_seconds=settings.inline_ms / 1000)
            for endpoint in service.endpoints(context)]
        service_routers.append(router)
        service_routes[name] = [*endpoint_routes, *documented_routes(router)]
    for router in (jobs_router, auth_router, *service_routers):
        app.include_router(router)
    models_router = build_models_router(registry, live, worker_status, publish_live)
    keys_router = build_keys_router(settings.auth)
    monitoring_router = build_monitoring_router(
        engine, registry, live, {name: {route.path for route in routes}
                                 for name, routes in service_routes.items()}, metrics.render)
    for router in (models_router, keys_router, monitoring_router):
        app.include_router(router)
    included = [jobs_router, auth_router, *service_routers, models_router, keys_router,
                monitoring_router]
    app.include_router(build_root_router(services, service_routes, settings.auth, VERSION))
    app.include_router(build_docs_router(app.openapi_url or "/openapi.json", app.title))
    log.log(logging.INFO if settings.auth is AuthMode.REQUIRED else logging.WARNING,
            describe_auth(settings.auth, service_routes))

    @app.get("/healthz", tags=["ops"], summary="Liveness")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["ops"], summary="Every enabled service has a warmed live model")
    async def readyz() -> JSONResponse:
        # An unreachable database degrades this server but does not make it unready: models
        # still answer and their records wait in the spool, and every machine sharing that
        # database would otherwise leave the load balancer at once.
        # This worker's view; the error's text (hosts, users) stays in the logs.
        database = {"database": "unreachable" if predictions.database_error else "ok",
                    "spooled": predictions.spooled}
        not_ready = {name: model.last_error or "no live model loaded"
                     for name, model in live.items() if not model.ready}
        if not_ready:
            return JSONResponse({"status": "not ready", "services": not_ready, **database},
                                status_code=503)
        return JSONResponse({"status": "degraded" if predictions.database_error else "ready",
                             "services": {n: m.version for n, m in live.items()}, **database})

    @app.get("/metrics", tags=["ops"], summary="Prometheus metrics")
    async def prometheus() -> Response:
        publish_live()  # this worker's swap shows at once, not at the next poll
        return Response(metrics.render(), media_type="text/plain; version=0.0.4")

    install_security(app, included, settings.auth)

    return app


async def _train_job(service: str, jobs: JobStore, runner: JobRunner, data: bytes,
                     options: TrainOptions) -> dict[str, Any]:
    """Submit a training job on ``data`` and wait for its result (``ServiceContext.train_job``)."""
    job_id = await run_in_threadpool(runner.submit, service, dataclasses.asdict(options), data)
    budget = current_budget.get()
    while True:
        if budget is not None and budget.stopped:  # nobody waits for this answer any more
            await run_in_threadpool(jobs.cancel, job_id)
            raise ClientGone(f"the client left; training job {job_id} was cancelled")
        record = await run_in_threadpool(jobs.get, job_id)
        if record.state == JobState.SUCCEEDED.value and record.result is not None:
            return record.result
        if record.state in (JobState.FAILED.value, JobState.CANCELLED.value):
            raise TrainingFailed(f"training job {job_id} {record.state}: "
                                 f"{record.error or 'cancelled'}")
        await asyncio.sleep(_JOB_POLL_SECONDS)


def app_from_environment() -> FastAPI:
    """The app as ``modelworks serve --reload`` has uvicorn build it, in each fresh process.

    The settings come from the environment (``serve`` put its options there), and so does
    the log configuration, which a fresh process does not inherit.
    """
    from modelworks.server.logs import configure_logging

    settings = Settings()
    configure_logging(settings.log_level)
    return create_app(settings)


def prepare_database(settings: Settings, engine: Engine) -> KeyStore | None:
    """Migrate the schema and, unless auth is off, create the first admin key if there is none.

    Safe to repeat; ``serve --workers N`` runs it once before the workers start, so they never
    race to create tables or the first key.
    """
    migrate(engine, cache_dir=settings.home)
    if settings.auth is AuthMode.OFF:
        return None
    keys = KeyStore(engine)
    first = keys.ensure_admin_key(settings.admin_key_file)
    if first:
        # Printed once to the terminal, never logged; also kept owner-only on disk.
        print(f"\nmodelworks: created the first admin key (also in "
              f"{settings.admin_key_file}):\n  {first}\n", file=sys.stderr, flush=True)
    return keys


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ModelworksError)
    async def known_error(request: Request, exc: ModelworksError) -> JSONResponse:
        body: dict[str, Any] = {"error": exc.message}
        if exc.field:
            body["field"] = exc.field
        if exc.status_code >= 500:
            log.error("request failed", extra={"error": exc.message})
        return JSONResponse(body, status_code=exc.status_code, headers=exc.headers or None)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for error in exc.errors():
            where = ".".join(str(p) for p in error.get("loc", ())
                             if p not in ("body", "query", "path"))
            problems.append({"field": where, "message": error.get("msg", "invalid")})
        summary = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
        return JSONResponse({"error": f"invalid request: {summary}",
                             "field": problems[0]["field"] if problems else None,
                             "fields": problems}, status_code=400)

    @app.exception_handler(OperationalError)
    async def database_away(request: Request, exc: OperationalError) -> JSONResponse:
        log.error("database unreachable", extra={"error": str(exc).splitlines()[0][:200]})
        return JSONResponse({"error": "the database is unreachable; try again shortly",
                             "request_id": request_id()}, status_code=503,
                            headers={"Retry-After": "5"})

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse({"error": str(exc.detail)}, status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))
