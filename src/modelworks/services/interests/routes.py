"""HTTP contract of the interests service: a user's top interests; adding users."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from prometheus_client import CollectorRegistry, Histogram

from modelworks.core.errors import DataError, NotFound
from modelworks.sdk.access import Requirement, Scope, TrainKey
from modelworks.sdk.bodies import openapi_json_body, parse_json_body
from modelworks.sdk.endpoints import Answer, Endpoint, Example, PathAndQuery, QueryOption, Received
from modelworks.sdk.params import Bounds
from modelworks.services.interests.directory import Profile, UserDirectory
from modelworks.services.interests.schemas import (
    MAX_TOP_K,
    USERS_EXAMPLE,
    USERS_EXPECTED,
    UserInterests,
    UsersRequest,
)

TOP_K = QueryOption("top_k", "integer", "How many interests at most",
                    Bounds(1, MAX_TOP_K, 15, ""))
MIN_PROBABILITY = QueryOption("min_probability", "number",
                              "Leave out interests below this probability",
                              Bounds(0.0, 1.0, 0.0, ""))

if TYPE_CHECKING:
    from modelworks.core.live import Loaded
    from modelworks.core.service import ServiceContext
    from modelworks.services.interests.model import InterestModel
    from modelworks.services.interests.service import InterestsService


PROBABILITY_BUCKETS = tuple(round(0.1 * i, 1) for i in range(1, 11))


def build_endpoints(directory: UserDirectory, context: ServiceContext) -> list[Endpoint]:
    """``GET /interests/{user_handle}``: a user's top interests with probabilities."""
    probabilities = Histogram(
        "modelworks_interest_probability", "Probability of every returned interest.",
        buckets=PROBABILITY_BUCKETS, registry=context.metrics or CollectorRegistry())

    async def interests(loaded: Loaded[InterestModel], received: Received[dict[str, str]]
                        ) -> Answer:
        model = loaded.model
        handle = received.body["user_handle"]
        top_k, min_probability = received.query["top_k"], received.query["min_probability"]
        profile = directory.cached(handle)
        pool_row = model.row_of_.get(handle)
        if profile is None and pool_row is None:
            profile = await run_in_threadpool(directory.lookup, handle)
            if profile is None:
                raise NotFound(f"unknown user_handle {handle}", field="user_handle")
        if profile is not None:  # added or updated through the API: their latest activity
            ranked = model.rank(profile.title_ids, profile.b2b, top_k, pool_row)
            name, account_type = profile.name, profile.account_type
        else:
            assert pool_row is not None
            ranked = model.rank_known(pool_row, top_k)
            name = model.names_[pool_row]
            account_type = "B2B" if model.pool_b2b_[pool_row] else "B2C"
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
        payload = {"user_handle": handle, "name": name, "type": account_type,
                   "interests": items}
        return Answer(payload, inputs=[{"user_handle": handle, "top_k": top_k,
                                        "min_probability": min_probability}],
                      outputs=[[{"id": item["id"], "probability": item["probability"]}
                                for item in items]])

    return [Endpoint(
        "GET", "/interests/{user_handle}", summary="A user's top interests with probabilities",
        description="Best first; `top_k` (default 15) at most, and only those at or above "
                    "`min_probability`.",
        request=PathAndQuery({"user_handle": "The user's handle (a UUID)"},
                             (TOP_K, MIN_PROBABILITY)),
        response=UserInterests, predict=interests,
        access=Requirement(Scope.PREDICT, open_in_contract=True),
        examples=(Example("The seed document's example user",
                          {"user_handle": "e337a675-46f5-437e-aa72-5d43643b5461"}),),
        response_example={"user_handle": "e337a675-46f5-437e-aa72-5d43643b5461",
                          "name": "Kisiza", "type": "B2B", "interests": [
                              {"id": "9e73b376-d83c-416f-a125-acb0e5336a94",
                               "label": "Social researcher", "probability": 0.7778}]})]


def build_router(service: InterestsService, context: ServiceContext,
                 directory: UserDirectory) -> APIRouter:
    """``POST /interests/users``: add or update users and what they consumed."""
    router = APIRouter(prefix="/interests", tags=["interests"])

    @router.post("/users", summary="Add or update users and the titles they consumed",
                 openapi_extra=openapi_json_body(UsersRequest, {"one new user": USERS_EXAMPLE}))
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
