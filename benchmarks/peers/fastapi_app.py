"""A minimal FastAPI app: the model call and nothing else (no auth, metrics or log)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, HTTPException, UploadFile
from pydantic import BaseModel

from benchmarks.peers.work import (
    genre_answers,
    interests_of,
    live_model,
    resume_labels,
    service_name,
    similarity_answers,
    similarity_cache,
)

SERVICE = service_name()
model = live_model(SERVICE)
app = FastAPI()


class Resume(BaseModel):
    text: str


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


if SERVICE == "resumes":
    @app.post("/api/inference")
    async def inference(body: Resume) -> int:
        return resume_labels(model, [body.text])[0]

if SERVICE == "interests":
    @app.get("/interests/{user_handle}")
    async def interests(user_handle: str, top_k: int = 15,
                        min_probability: float = 0.0) -> dict[str, Any]:
        answer = interests_of(model, user_handle, top_k, min_probability)
        if answer is None:
            raise HTTPException(404, "unknown user")
        return answer

if SERVICE == "similarity":
    cache = similarity_cache()

    @app.post("/predict")
    async def predict(body: dict[str, Any]) -> dict[str, Any]:
        return similarity_answers(model, cache, [body])[0]

if SERVICE == "genres":
    @app.post("/genres/predict")
    async def genres(file: UploadFile) -> dict[str, Any]:
        return genre_answers(model, [await file.read()])[0]
