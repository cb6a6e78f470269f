"""Flask under gunicorn, the way the seed systems served their models."""

from __future__ import annotations

from typing import Any

from flask import Flask, abort, jsonify, request

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
app = Flask(__name__)


@app.get("/healthz")
def healthz() -> Any:
    return {"status": "ok"}


if SERVICE == "resumes":
    @app.post("/api/inference")
    def inference() -> Any:
        return jsonify(resume_labels(model, [request.get_json()["text"]])[0])

if SERVICE == "interests":
    @app.get("/interests/<user_handle>")
    def interests(user_handle: str) -> Any:
        answer = interests_of(model, user_handle, int(request.args.get("top_k", 15)),
                              float(request.args.get("min_probability", 0.0)))
        if answer is None:
            abort(404)
        return answer

if SERVICE == "similarity":
    cache = similarity_cache()

    @app.post("/predict")
    def predict() -> Any:
        return similarity_answers(model, cache, [request.get_json()])[0]

if SERVICE == "genres":
    @app.post("/genres/predict")
    def genres() -> Any:
        return genre_answers(model, [request.files["file"].read()])[0]
