"""``modelworks.client.Client`` against a real server: a typed answer from every route."""

from __future__ import annotations

import csv
import time
import uuid
from pathlib import Path

import pytest

from modelworks.client import ApiError, Client
from modelworks.client.results import (
    Job,
    MovieGenres,
    Recommendation,
    ResumeCategory,
    ServiceModels,
    Similarities,
    TrainingResult,
    UserInterests,
)
from tests.conftest import SEED_USERS_FILE, TOKEN_TTL_SECONDS, RunningApi

SYNOPSES = [{"movie_id": "w", "synopsis": "A lonely cowboy defends a frontier town from a gang "
                                          "of outlaws.", "year": 1956},
            {"movie_id": "d", "synopsis": "A detective hunts a killer through the rainy streets "
                                          "of the city."}]


def seed_user() -> dict[str, str]:
    with SEED_USERS_FILE.open(encoding="utf-8") as handle:
        return next(csv.DictReader(handle))


def test_interests_of_a_user_and_of_one_added(api: Client, interests_dir: Path) -> None:
    user = seed_user()
    found = api.interests(user["id"], top_k=3)
    assert isinstance(found, UserInterests)
    assert (found.user_handle, found.name, found.type) == (user["id"], user["name"],
                                                           user["type"])
    assert len(found.interests) == 3
    assert [i.probability for i in found.interests] == sorted(
        (i.probability for i in found.interests), reverse=True)
    floor = found.interests[1].probability
    assert all(i.probability >= floor for i in api.interests(
        user["id"], min_probability=floor).interests)

    with (interests_dir / "titles.csv").open(encoding="utf-8") as handle:
        titles = [int(row["id"]) for row in csv.DictReader(handle)][:5]
    handle_id = str(uuid.uuid4())
    saved = api.save_users([{"user_handle": handle_id, "name": "New", "type": "B2C",
                             "consumed": titles}])
    assert (saved.added, saved.updated, saved.users) == (1, 0, [handle_id])
    assert api.interests(handle_id).name == "New"

    with pytest.raises(ApiError) as unknown:
        api.interests(str(uuid.uuid4()))
    assert (unknown.value.status, unknown.value.field) == (404, "user_handle")


def test_a_recommendation_and_its_feedback(api: Client) -> None:
    recommended = api.recommend(25, "F", "student", max_recs=3)
    assert isinstance(recommended, Recommendation)
    assert len(recommended.recommendations) == 3
    assert set(recommended.scores) == set(recommended.recommendations)
    feedback = api.movie_feedback(recommended.id, recommended.recommendations[0], 5)
    assert (feedback.status, feedback.id, feedback.score) == ("recorded", recommended.id, 5)
    with pytest.raises(ApiError) as refused:
        api.recommend(25, "F", "astronaut")
    assert (refused.value.status, refused.value.field) == (400, "occupation")
    assert "occupation" in refused.value.message


def test_genres_of_rows_text_and_files(api: Client, tmp_path: Path) -> None:
    ranked = api.predict_genres(SYNOPSES, include_scores=True)
    assert [m.movie_id for m in ranked] == ["w", "d"]
    assert all(isinstance(m, MovieGenres) and len(m.genres) == 5 for m in ranked)
    assert ranked[0].scores is not None
    assert list(ranked[0].scores) == ranked[0].genres
    text = "movie_id,synopsis\n7,A ghost haunts an old house.\n"
    upload = tmp_path / "movies.csv"
    upload.write_text(text)
    from_text, from_file = api.predict_genres(text), api.predict_genres(upload)
    assert from_text == from_file
    assert from_text[0].scores is None
    with pytest.raises(ApiError) as refused:
        api.predict_genres("id,plot\n1,x\n")
    assert refused.value.status == 400


def test_training_genres_waits_for_its_result(api: Client, small_training_csv: bytes) -> None:
    result = api.train_genres(small_training_csv)
    assert isinstance(result, TrainingResult)
    assert result.service == "genres"
    assert result.version is not None
    assert result.rows == 500
    assert result.metrics["map@5"] > 0
    assert result.reason


def test_a_resume_its_stored_prediction_and_the_samples(api: Client) -> None:
    answer = api.classify_resume("Oracle DBA with 8 years of RMAN, Data Guard and RAC on 19c")
    assert isinstance(answer, ResumeCategory)
    assert answer.category == "Oracle DBA"
    assert answer.probabilities[answer.category] == answer.probability
    page = api.resume_predictions(limit=5, category="Oracle DBA")
    assert page.items[0].prediction_id == answer.prediction_id
    assert page.total >= 1
    assert page.limit == 5
    samples = api.resume_samples()
    assert samples
    assert all(isinstance(text, str) and text for text in samples.values())


def test_products_ranked_and_a_catalogue(api: Client) -> None:
    ranked = api.rank_products("What can I use to cut wood?", [
        "Heavy-duty claw hammer with a non-slip grip handle.",
        "High-performance circular saw with laser guide."], top_k=1)
    assert isinstance(ranked, Similarities)
    assert ranked.queries == ["What can I use to cut wood?"]
    assert [r.product_description for r in ranked.results[0].results] == [
        "High-performance circular saw with laser guide."]

    name = f"tools-{uuid.uuid4().hex[:8]}"
    added = api.add_products(name, [
        {"id": "saw", "description": "Circular saw with laser guide", "kind": "power"},
        {"id": 2, "description": "Claw hammer with a grip handle", "kind": "hand"}])
    assert (added.upserted, added.size) == (2, 2)
    found = api.search_catalog(name, "cut wood", top_k=1, filters={"kind": "power"})
    assert [(hit.id, hit.metadata) for hit in found.results] == [("saw", {"kind": "power"})]
    removed = api.remove_products(name, ["saw"])
    assert (removed.deleted, removed.size) == (1, 1)


def test_the_registry_and_a_job(api: Client) -> None:
    every = api.models()
    assert set(every) == {"genres", "interests", "movies", "resumes", "similarity"}
    resumes = api.model("resumes")
    assert isinstance(resumes, ServiceModels)
    assert resumes.live == resumes.loaded == 1
    assert resumes.primary_metric == "weighted_f1"
    assert resumes.versions[0].gate is not None
    assert resumes.versions[0].gate.passed
    assert api.promote("resumes", 1).live == 1

    started = api.start_job("resumes", model="naive-bayes", name="from the client",
                            register=False)
    seen: list[Job] = []
    job = api.wait_for_job(started.job_id, on_update=seen.append, poll_seconds=0.2)
    assert job.state == "succeeded"
    assert seen[-1] == job
    training = job.training()
    assert training is not None
    assert training.promoted is False
    assert training.name == "from the client"
    assert job.job_id in {j.job_id for j in api.jobs("resumes")}
    with pytest.raises(ApiError) as gone:
        api.cancel_job(str(uuid.uuid4()))
    assert gone.value.status == 404
    with pytest.raises(ApiError) as typo:
        api.start_job("resume")
    assert typo.value.status == 404
    assert "did you mean resumes?" in typo.value.message


def test_health_and_readiness(api: Client) -> None:
    assert api.health()
    ready = api.ready()
    assert ready.ready
    assert ready.services["resumes"] == 1
    assert "/predict" in api.openapi()["paths"]


def test_a_token_is_used_and_renewed_when_it_expires(full_api: RunningApi) -> None:
    key = full_api.headers["X-API-Key"]
    with Client(full_api.url, api_key=key) as api:
        token = api.authenticate()
        assert token.expires_in == TOKEN_TTL_SECONDS
        assert token.scopes == ["admin"]
        time.sleep(TOKEN_TTL_SECONDS + 1)  # the token has expired: the client gets a new one
        assert api.model("movies").live == 1
    with Client(full_api.url, token=token.token) as bearer_only, pytest.raises(ApiError) as old:
        bearer_only.model("movies")  # no key to renew with: the expiry shows
    assert old.value.status == 401
    with Client(full_api.url, api_key=key) as api:
        fresh = api.authenticate()
    with Client(full_api.url, token=fresh.token) as bearer_only:
        assert bearer_only.recommend(60, "M", "retired", max_recs=1).recommendations


def test_refusals_carry_the_servers_words(full_api: RunningApi) -> None:
    with Client(full_api.url) as anonymous, pytest.raises(ApiError) as missing:
        anonymous.recommend(25, "F", "student")
    assert missing.value.status == 401
    assert "X-API-Key" in missing.value.message
    with Client(full_api.url, api_key="mw_000000000000_wrong") as wrong, \
            pytest.raises(ApiError) as refused:
        wrong.authenticate()
    assert refused.value.status == 401
    assert "not valid" in refused.value.message
    assert "mw_000000000000_wrong" not in str(refused.value)
