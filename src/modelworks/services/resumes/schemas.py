"""Request body of ``POST /api/inference`` and the words its 400 messages use."""

from __future__ import annotations

from pydantic import BaseModel, Field, StrictStr

INFERENCE_EXPECTED = {"text": "the resume as a non-empty string"}
MAX_PAGE = 500


class InferenceRequest(BaseModel):
    """One resume to classify."""

    text: StrictStr = Field(description="The resume's text")
