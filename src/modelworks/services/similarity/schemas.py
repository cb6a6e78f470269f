"""The ``POST /predict`` body, read by hand so every error says what the contract says."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import orjson
from pydantic import BaseModel, Field

from modelworks.core.errors import DataError, PayloadTooLarge

REQUIRED = "Queries and product descriptions are required."
MAX_TOP_K = 1000
DEFAULT_TOP_K = 10


class PredictBody(BaseModel):
    """The ``POST /predict`` body (read by ``parse_predict``; this documents it)."""

    queries: list[str] | None = Field(default=None, description="Shopper queries")
    query: str | list[str] | None = Field(
        default=None, description="The same as `queries` (the original README's example)")
    product_descriptions: list[str] = Field(description="The products to rank")
    top_k: int = Field(default=DEFAULT_TOP_K, ge=1, le=MAX_TOP_K,
                       description="Most results per query")
    min_score: float | None = Field(default=None,
                                    description="Leave out results scoring below this")


class RankedDescription(BaseModel):
    """One ranked description."""

    product_description: str
    score: float = Field(description="Cosine similarity, rounded to 4 places")


class QueryResults(BaseModel):
    """The ranked descriptions of one query."""

    query: str
    results: list[RankedDescription]


class PredictAnswer(BaseModel):
    """The original Flask API's answer."""

    queries: list[str]
    results: list[QueryResults]


SEED_EXAMPLE = {"query": ["What can I use to cut wood?"],
                "product_descriptions": ["Heavy-duty claw hammer with a non-slip grip handle.",
                                         "High-performance circular saw with laser guide."]}


@dataclass(frozen=True)
class PredictRequest:
    """Queries, descriptions and the answer's limits."""

    queries: list[str]
    descriptions: list[str]
    top_k: int
    min_score: float


@dataclass(frozen=True)
class Caps:
    """How much one ``POST /predict`` may ask for (413 past any of them)."""

    max_chars: int
    max_texts: int
    max_pairs: int


def parse_predict(raw: bytes, caps: Caps) -> PredictRequest:
    """Validate a ``POST /predict`` body; ``DataError`` (400) with the contract's messages."""
    try:
        body = orjson.loads(raw) if raw.strip() else {}
    except orjson.JSONDecodeError as exc:
        raise DataError(f"the body is not valid JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise DataError("the body must be a JSON object with queries and product_descriptions")
    # The seed document's own example sends `query`; the original server read `queries`.
    if "queries" in body and "query" in body:
        raise DataError("send the queries as `queries` or as `query`, not both", field="query")
    query_field = "query" if "query" in body else "queries"
    queries = body.get(query_field)
    if isinstance(queries, str):
        queries = [queries] if queries else []
    descriptions = body.get("product_descriptions")
    if not queries or not descriptions:
        raise DataError(REQUIRED)
    queries = _strings(queries, query_field, caps.max_chars)
    descriptions = _strings(descriptions, "product_descriptions", caps.max_chars)
    if len(queries) + len(descriptions) > caps.max_texts:
        raise PayloadTooLarge(f"{len(queries)} queries and {len(descriptions)} descriptions are "
                              f"more than the {caps.max_texts} texts one request may embed "
                              "(MODELWORKS_SIMILARITY__MAX_TEXTS)", field="product_descriptions")
    if len(queries) * len(descriptions) > caps.max_pairs:
        raise PayloadTooLarge(f"{len(queries)} queries x {len(descriptions)} descriptions are "
                              f"more than the {caps.max_pairs} pairs one request may score "
                              "(MODELWORKS_SIMILARITY__MAX_PAIRS)", field="product_descriptions")
    return PredictRequest(queries, descriptions, _top_k(body.get("top_k")),
                          _min_score(body.get("min_score")))


def _strings(value: Any, field: str, max_chars: int) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        kind = "a list of strings" if field == "product_descriptions" else (
            "a string or a list of strings")
        raise DataError(f"{field} must be {kind}", field=field)
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


MAX_PRODUCTS_PER_BATCH = 1000
MAX_ATTRIBUTE_DEPTH = 8
NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")


def catalog_name(name: str) -> str:
    """A catalogue name: 1-100 letters, digits, ``-`` or ``_``."""
    if not 1 <= len(name) <= 100 or not set(name) <= NAME_CHARS:
        raise DataError("a catalogue name is 1-100 letters, digits, - or _", field="name")
    return name


def _object(raw: bytes) -> dict[str, Any]:
    try:
        body = orjson.loads(raw) if raw.strip() else None
    except orjson.JSONDecodeError as exc:
        raise DataError(f"the body is not valid JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise DataError("the body must be a JSON object")
    return body


def parse_products(raw: bytes, max_chars: int) -> list[tuple[str, str, dict[str, Any]]]:
    """``{"products": [{"id", "description", ...attributes}]}`` as (id, description, attrs)."""
    products = _object(raw).get("products")
    if not isinstance(products, list) or not products:
        raise DataError("products must be a non-empty list of objects with id and description",
                        field="products")
    if len(products) > MAX_PRODUCTS_PER_BATCH:
        raise DataError(f"at most {MAX_PRODUCTS_PER_BATCH} products per batch",
                        field="products")
    parsed = []
    for number, product in enumerate(products):
        where = f"products.{number}"
        if not isinstance(product, dict):
            raise DataError(f"{where} must be an object", field=where)
        product_id, description = product.get("id"), product.get("description")
        if isinstance(product_id, bool) or not isinstance(product_id, str | int) or (
                not str(product_id).strip()) or len(str(product_id)) > 200 or (
                "\x00" in str(product_id)):
            raise DataError(f"{where}.id must be a string or integer (up to 200 characters, "
                            "no NUL)", field=f"{where}.id")
        if not isinstance(description, str) or not description.strip() or "\x00" in description:
            raise DataError(f"{where}.description must be a non-empty string without NUL "
                            "characters", field=f"{where}.description")
        if len(description) > max_chars:
            raise DataError(f"{where}.description is over {max_chars} characters",
                            field=f"{where}.description")
        attributes = {k: v for k, v in product.items() if k not in ("id", "description")}
        if _depth(attributes) > MAX_ATTRIBUTE_DEPTH:
            raise DataError(f"{where}: attributes nest deeper than {MAX_ATTRIBUTE_DEPTH} levels",
                            field=where)
        parsed.append((str(product_id), description, attributes))
    return parsed


def _depth(value: Any, limit: int = 64) -> int:
    """How deeply ``value`` nests lists and objects (counting stops past ``limit``)."""
    if limit <= 0 or not isinstance(value, dict | list):
        return 0
    children = value.values() if isinstance(value, dict) else value
    return 1 + max((_depth(child, limit - 1) for child in children), default=0)


def parse_ids(raw: bytes) -> list[str]:
    """``{"ids": [...]}``, at most ``MAX_PRODUCTS_PER_BATCH`` of them."""
    ids = _object(raw).get("ids")
    if isinstance(ids, list) and len(ids) > MAX_PRODUCTS_PER_BATCH:
        raise PayloadTooLarge(f"ids holds {len(ids)} items; at most {MAX_PRODUCTS_PER_BATCH} "
                              "per request", field="ids")
    if not isinstance(ids, list) or not ids or not all(
            isinstance(i, str | int) and not isinstance(i, bool) for i in ids):
        raise DataError("ids must be a non-empty list of product ids", field="ids")
    return [str(i) for i in ids]


@dataclass(frozen=True)
class SearchRequest:
    """A catalogue search."""

    query: str
    top_k: int
    min_score: float
    filters: dict[str, Any]


def parse_search(raw: bytes, max_chars: int) -> SearchRequest:
    """``{"query", "top_k"?, "min_score"?, "filters"?}``; filters match attributes exactly."""
    body = _object(raw)
    query = body.get("query")
    if not isinstance(query, str) or not query.strip():
        raise DataError("query must be a non-empty string", field="query")
    if len(query) > max_chars:
        raise DataError(f"query is over {max_chars} characters", field="query")
    filters = body.get("filters") or {}
    if not isinstance(filters, dict) or not all(
            isinstance(v, str | int | float | bool) for v in filters.values()):
        raise DataError("filters must map attribute names to single values", field="filters")
    return SearchRequest(query, _top_k(body.get("top_k")), _min_score(body.get("min_score")),
                         filters)
