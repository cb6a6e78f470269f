"""The ``POST /predict`` body, read by hand so every error says what the contract says."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import orjson

from modelworks.core.errors import DataError

REQUIRED = "Queries and product descriptions are required."
MAX_QUERIES = 100
MAX_DESCRIPTIONS = 10_000
MAX_TOP_K = 1000
DEFAULT_TOP_K = 10


@dataclass(frozen=True)
class PredictRequest:
    """Queries, descriptions and the answer's limits."""

    queries: list[str]
    descriptions: list[str]
    top_k: int
    min_score: float


def parse_predict(raw: bytes, max_chars: int) -> PredictRequest:
    """Validate a ``POST /predict`` body; ``DataError`` (400) with the contract's messages."""
    try:
        body = orjson.loads(raw) if raw.strip() else {}
    except orjson.JSONDecodeError as exc:
        raise DataError(f"the body is not valid JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise DataError("the body must be a JSON object with queries and product_descriptions")
    queries = body.get("queries")
    if queries is None and "query" in body:
        queries = [body["query"]] if body["query"] not in (None, "") else []
    descriptions = body.get("product_descriptions")
    if not queries or not descriptions:
        raise DataError(REQUIRED)
    queries = _strings(queries, "queries", MAX_QUERIES, max_chars)
    descriptions = _strings(descriptions, "product_descriptions", MAX_DESCRIPTIONS, max_chars)
    return PredictRequest(queries, descriptions, _top_k(body.get("top_k")),
                          _min_score(body.get("min_score")))


def _strings(value: Any, field: str, limit: int, max_chars: int) -> list[str]:
    if isinstance(value, str) and field == "queries":
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise DataError(f"{field} must be a list of strings", field=field)
    if len(value) > limit:
        raise DataError(f"{field} holds {len(value)} items; at most {limit} per request",
                        field=field)
    if any(not item.strip() for item in value):
        raise DataError(f"{field} contains an empty string", field=field)
    if any(len(item) > max_chars for item in value):
        raise DataError(f"{field} contains a text over {max_chars} characters", field=field)
    return list(value)


def _top_k(value: Any) -> int:
    if value is None:
        return DEFAULT_TOP_K
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_TOP_K:
        raise DataError(f"top_k must be an integer from 1 to {MAX_TOP_K}", field="top_k")
    return value


def _min_score(value: Any) -> float:
    if value is None:
        return -math.inf
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise DataError("min_score must be a number", field="min_score")
    return float(value)
