"""HTTP contract of the interests service: a user's top interests; adding users."""

from __future__ import annotations

import time
import uuid
from typing import TYPE_CHECKING, Any

import numpy as np
import orjson
from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from prometheus_client import CollectorRegistry, Histogram

from modelworks.core.errors import DataError, NotFound
from modelworks.sdk.access import ContractPredict, TrainKey
from modelworks.sdk.bodies import openapi_json_body, parse_json_body
from modelworks.sdk.params import (
    Bounds,
    float_param,
    int_param,
    openapi_parameters,
    uuid_value,
)
from modelworks.services.interests.directory import Profile, UserDirectory
from modelworks.services.interests.schemas import MAX_TOP_K, USERS_EXPECTED, UsersRequest

TOP_K = Bounds(1, MAX_TOP_K, 15, "How many interests at most")
MIN_PROBABILITY = Bounds(0.0, 1.0, 0.0, "Leave out interests below this probability")

if TYPE_CHECKING:
    from modelworks.core.service import ServiceContext
    from modelworks.services.interests.model import InterestModel
    from modelworks.services.interests.service import InterestsService


PROBABILITY_BUCKETS = tuple(round(0.1 * i, 1) for i in range(1, 11))


def build_router(service: InterestsService, context: ServiceContext) -> APIRouter:
    """Routes bound to one server's live model and the shared user directory."""
    router = APIRouter(prefix="/interests", tags=["interests"])
    directory = UserDirectory(context.engine)
    context.periodic.append(directory.sync)
    probabilities = Histogram(
        "modelworks_interest_probability", "Probability of every returned interest.",
        buckets=PROBABILITY_BUCKETS, registry=context.metrics or CollectorRegistry())

    @router.get("/{user_handle}", summary="A user's top interests with probabilities",
                openapi_extra=openapi_parameters(
                    {"user_handle": "The user's handle (a UUID)"},
                    {"top_k": ("integer", TOP_K), "min_probability": ("number", MIN_PROBABILITY)}))
    async def interests(request: Request, key: ContractPredict) -> Response:
        # Parsed by hand: this route must sustain 1,000 requests/s (see server/params.py).
        handle = uuid_value(request.path_params["user_handle"], "user_handle")
        top_k = int_param(request.query_params, "top_k", TOP_K)
        min_probability = float_param(request.query_params, "min_probability", MIN_PROBABILITY)
        loaded = context.live.current()
        model: InterestModel = loaded.model
        profile = directory.cached(handle)
        pool_row = model.row_of_.get(handle)
        if profile is None and pool_row is None:
            profile = await run_in_threadpool(directory.lookup, handle)
            if profile is None:
                raise NotFound(f"unknown user_handle {handle}", field="user_handle")
        started = time.perf_counter()
        if profile is not None:  # added or updated through the API: their latest activity
            ranked = model.rank(profile.title_ids, profile.b2b, top_k, pool_row)
            name, account_type = profile.name, profile.account_type
        else:
            assert pool_row is not None
            ranked = model.rank_known(pool_row, top_k)
            name = model.names_[pool_row]
            account_type = "B2B" if model.pool_b2b_[pool_row] else "B2C"
        latency_ms = (time.perf_counter() - started) * 1000
        catalogue = model.catalogue_
        items = []
        for column, probability in zip(ranked.columns.tolist(),
                                       np.round(ranked.probabilities, 4).tolist(), strict=True):
            if probability < min_probability:
                break  # best first, so every later one is lower
            items.append({"id": catalogue.interest_ids[column],
                          "label": catalogue.interest_labels[column],
                          "probability": probability})
        for item in items:
            probabilities.observe(item["probability"])
        request_id = uuid.uuid4().hex
        context.predictions.record(
            service=service.name, model_version=loaded.version, request_id=request_id,
            inputs=[{"user_handle": handle, "top_k": top_k, "min_probability": min_probability}],
            outputs=[[item["id"] for item in items]], latency_ms=latency_ms)
        payload = {"user_handle": handle, "name": name, "type": account_type,
                   "interests": items}
        return Response(orjson.dumps(payload), media_type="application/json",
                        headers={"X-Model-Version": f"{service.name}:{loaded.version}"})

    @router.post("/users", summary="Add or update users and the titles they consumed",
                 openapi_extra=openapi_json_body(UsersRequest))
    async def add_users(request: Request, key: TrainKey) -> dict[str, Any]:
        body = parse_json_body(UsersRequest, await request.body(), USERS_EXPECTED)
        model: InterestModel = context.live.current().model
        profiles = []
        for position, user in enumerate(body.users):
            title_ids = np.unique(np.array(user.consumed, dtype=np.int64))
            unknown = model.unknown_titles(title_ids)
            if len(unknown):
                raise DataError(f"users[{position}].consumed: title ids "
                                f"{', '.join(map(str, unknown[:5].tolist()))} are not in the "
                                "catalogue", field=f"users.{position}.consumed")
            profiles.append(Profile(str(user.user_handle), user.name, user.type, title_ids))
        handles = [p.handle for p in profiles]
        if len(set(handles)) != len(handles):
            raise DataError("users: a user_handle appears twice in one request",
                            field="users")
        stored = await run_in_threadpool(directory.existing, handles)
        await run_in_threadpool(directory.upsert, profiles)
        updated = [h for h in handles if h in stored or h in model.row_of_]
        return {"added": len(handles) - len(updated), "updated": len(updated),
                "users": handles}

    return router
