"""Request body of ``POST /api/inference`` and the words its 400 messages use."""

from __future__ import annotations

from pydantic import BaseModel, Field, StrictStr

INFERENCE_EXPECTED = {"text": "the resume as a non-empty string"}
MAX_PAGE = 500


class InferenceRequest(BaseModel):
    """One resume to classify."""

    text: StrictStr = Field(description="The resume's text")


class InferenceDetail(BaseModel):
    """The answer with ``detail=true``."""

    label: int = Field(ge=0, le=13, description="The category's label id")
    category: str = Field(description="The category's name")
    probability: float = Field(description="The model's probability of that category")
    probabilities: dict[str, float] = Field(description="Every category's probability")
    prediction_id: int = Field(description="The stored prediction's id (GET /api/predictions)")
    model_version: int = Field(description="The registry version that answered")
