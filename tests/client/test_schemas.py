"""The client's result types hold every field the server's answers have.

The client mirrors the services' schemas instead of importing them (a client must not load
the services' model code); these tests fail the day one side gains a field the other lacks.
"""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from modelworks.client import results
from modelworks.core.training import TrainResult
from modelworks.services.interests.schemas import Interest, UserInterests
from modelworks.services.movies.schemas import RecommendationDetail
from modelworks.services.resumes.schemas import InferenceDetail
from modelworks.services.similarity.schemas import PredictAnswer, QueryResults, RankedDescription


@pytest.mark.parametrize(("ours", "theirs"), [
    (results.UserInterests, UserInterests), (results.Interest, Interest),
    (results.Recommendation, RecommendationDetail), (results.ResumeCategory, InferenceDetail),
    (results.Similarities, PredictAnswer), (results.QueryResults, QueryResults),
    (results.RankedDescription, RankedDescription)])
def test_a_result_has_the_fields_of_the_services_schema(ours: type[BaseModel],
                                                        theirs: type[BaseModel]) -> None:
    assert set(ours.model_fields) == set(theirs.model_fields)


def test_a_training_result_has_the_fields_the_train_routes_answer() -> None:
    answer = TrainResult("genres", 1, {"map@5": 0.5}, 10, 1.0, True, "better").to_json()
    assert set(results.TrainingResult.model_fields) == set(answer)
    assert results.TrainingResult.model_validate(answer).promoted

