"""Rows of a file to requests of a service, and its answers to JSON-ready records.

A row is a CSV record (every value a string) or a JSON object; each service's ``Batcher``
reads the fields its route takes, converting CSV strings where a number or a list is meant,
and calls the typed client. A service with no batcher of its own (one made with
``modelworks new service``) gets each row sent as the JSON body of its prediction route.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from modelworks.client import ApiError, Client

Row = Mapping[str, Any]
PREDICTION = "x-modelworks-prediction"
GENDERS: dict[str, Literal["M", "F", "O"]] = {"M": "M", "F": "F", "O": "O"}


class RowError(Exception):
    """A row that cannot become a request; ``message`` says which field and why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Batcher:
    """How rows become one service's requests: ``size`` rows per request."""

    columns: str
    """What a row holds, as help and error messages show it."""
    run: Callable[[Client, list[Row]], list[Any]]
    """The rows' answers, one JSON-ready record per row, in order."""
    size: int = 1


def _given(row: Row, name: str) -> Any:
    value = row.get(name)
    return None if value is None or (isinstance(value, str) and not value.strip()) else value


def _text(row: Row, *names: str) -> str:
    for name in names:
        value = _given(row, name)
        if value is not None:
            if not isinstance(value, str):
                raise RowError(f"{name} must be a string, got {value!r}")
            return value
    raise RowError(f"{' or '.join(names)} is missing")


def _int(row: Row, name: str) -> int | None:
    value = _given(row, name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise RowError(f"{name} must be an integer, got {value!r}")
    try:
        return int(value)
    except ValueError:
        raise RowError(f"{name} must be an integer, got {value!r}") from None


def _float(row: Row, name: str) -> float | None:
    value = _given(row, name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise RowError(f"{name} must be a number, got {value!r}")
    try:
        return float(value)
    except ValueError:
        raise RowError(f"{name} must be a number, got {value!r}") from None


def _texts(row: Row, *names: str) -> list[str]:
    """A list of strings: a JSON list; a text is a JSON array, or texts separated by ``|``."""
    for name in names:
        value = _given(row, name)
        if isinstance(value, str):
            value = _decoded(value) if value.lstrip().startswith("[") else [
                part.strip() for part in value.split("|") if part.strip()]
        if value is None:
            continue
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise RowError(f"{name} must be a list of strings (in a CSV cell: a JSON array, "
                           "or texts separated by |)")
        return value
    raise RowError(f"{' or '.join(names)} is missing")


def _decoded(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise RowError(f"not valid JSON: {text[:60]!r}") from exc


def _each(call: Callable[[Client, Row], Any]) -> Callable[[Client, list[Row]], list[Any]]:
    """A batcher's ``run`` for routes that take one row per request."""
    def run(client: Client, rows: list[Row]) -> list[Any]:
        return [call(client, row) for row in rows]

    return run


def _interests(client: Client, row: Row) -> Any:
    return client.interests(_text(row, "user_handle"), top_k=_int(row, "top_k"),
                            min_probability=_float(row, "min_probability")).model_dump()


def _movies(client: Client, row: Row) -> Any:
    age, gender = _int(row, "age"), _text(row, "gender")
    if age is None:
        raise RowError("age is missing")
    if gender not in GENDERS:
        raise RowError(f"gender must be M, F or O, got {gender!r}")
    return client.recommend(age, GENDERS[gender], _text(row, "occupation"),
                            max_recs=_int(row, "max_recs") or 10).model_dump()


def _genres(client: Client, rows: list[Row]) -> list[Any]:
    movies = [{"movie_id": _text(row, "movie_id"), "synopsis": _text(row, "synopsis"),
               "year": _int(row, "year")} for row in rows]
    answers = client.predict_genres(movies, include_scores=True)
    if len(answers) != len(rows):  # the answer is keyed by movie_id: a repeated id merges
        raise RowError("a movie_id appears twice in one request: ids must be unique")
    return [answer.model_dump() for answer in answers]


def _resumes(client: Client, row: Row) -> Any:
    return client.classify_resume(_text(row, "text", "resume")).model_dump()


def _similarity(client: Client, row: Row) -> Any:
    return client.rank_products(_texts(row, "queries", "query"),
                                _texts(row, "product_descriptions"), top_k=_int(row, "top_k"),
                                min_score=_float(row, "min_score")).model_dump()


BATCHERS: dict[str, Batcher] = {
    "interests": Batcher("user_handle[, top_k, min_probability]", _each(_interests)),
    "movies": Batcher("age, gender (M, F or O), occupation[, max_recs]", _each(_movies)),
    "genres": Batcher("movie_id, synopsis[, year]", _genres, size=50),
    "resumes": Batcher("text (or resume)", _each(_resumes)),
    "similarity": Batcher("query (or queries), product_descriptions[, top_k, min_score]; in "
                          "CSV, lists as a JSON array or texts separated by |",
                          _each(_similarity)),
}


def batcher_for(service: str, client: Client) -> Batcher:
    """The service's batcher; for another service, its declared JSON prediction route's."""
    if service in BATCHERS:
        return BATCHERS[service]
    for path, operations in client.openapi().get("paths", {}).items():
        for method, operation in operations.items():
            marker = operation.get(PREDICTION) or {}
            if marker.get("service") == service and marker.get("request") == "json":
                return Batcher("the fields of the route's JSON body",
                               _each(_json_route(method.upper(), path)))
    raise RowError(f"the server has no JSON prediction route for {service}; call it with "
                   "modelworks.client.Client.request")


def _json_route(method: str, path: str) -> Callable[[Client, Row], Any]:
    def call(client: Client, row: Row) -> Any:
        body = {name: _decoded(value) if isinstance(value, str)
                and value.lstrip()[:1] in ("[", "{") else value for name, value in row.items()}
        return client.request(method, path, json=body)

    return call


def is_row_error(error: ApiError) -> bool:
    """Whether the server refused the row itself (a bad value, an unknown id), not the caller.

    Those are reported for the row and the batch goes on; anything else stops it.
    """
    return error.status is not None and 400 <= error.status < 500 and error.status not in (
        401, 403, 405, 429)
