"""Prediction endpoints declared as data; the core mounts them.

A service says what a prediction endpoint is: its method and path (any path: the seed
contracts keep theirs), how a request is read (``JsonBody``, ``CsvUpload`` or
``PathAndQuery``, each with hand-parsed query options), the response type, examples, who may
call it, whether its model call is CPU-bound, and ``predict``. The core (``server/endpoints``)
mounts it: checks access, reads and validates the request, calls ``predict`` with the live
model (in the thread pool when CPU-bound), times it, writes one prediction-log record per
input, counts it, sets ``X-Model-Version``, maps errors to 4xx JSON and documents all of it in
OpenAPI (request and response schemas, examples, security, every error status).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Literal, Protocol, TypeVar

from pydantic import BaseModel

from modelworks.core.errors import DataError
from modelworks.core.live import Loaded
from modelworks.sdk.access import Requirement
from modelworks.sdk.bodies import openapi_json_body, parse_json_body
from modelworks.sdk.params import Bounds, flag, float_param, int_param, uuid_value
from modelworks.sdk.uploads import MULTIPART, read_form

if TYPE_CHECKING:
    from fastapi import Request
    from starlette.datastructures import QueryParams

BodyT = TypeVar("BodyT")


@dataclass(frozen=True)
class QueryOption:
    """A query parameter read by hand (no pydantic per request on hot routes), documented."""

    name: str
    kind: Literal["boolean", "integer", "number"]
    description: str
    bounds: Bounds | None = None
    """Range and default of an integer or number."""

    def parse(self, query: QueryParams) -> bool | int | float:
        """The value in ``query`` (the default when absent); 400 naming it when invalid."""
        if self.kind == "boolean":
            return flag(query.get(self.name), self.name)
        assert self.bounds is not None, f"{self.name} needs bounds"
        if self.kind == "integer":
            return int_param(query, self.name, self.bounds)
        return float_param(query, self.name, self.bounds)

    def openapi(self) -> dict[str, Any]:
        """Its OpenAPI parameter."""
        schema: dict[str, Any] = {"type": self.kind}
        if self.bounds is not None:
            schema.update(minimum=self.bounds.low, maximum=self.bounds.high,
                          default=self.bounds.default)
        else:
            schema["default"] = False
        return {"name": self.name, "in": "query", "required": False,
                "description": self.description, "schema": schema}


@dataclass(frozen=True)
class Received(Generic[BodyT]):
    """A request as read: its body (or path values), and its query options by name."""

    body: BodyT
    query: Mapping[str, Any] = field(default_factory=dict)
    size: int = 0
    """Bytes of the body as received (0 without one): what the model's time is scaled by."""


@dataclass(frozen=True)
class Example:
    """An example request: its JSON body, its CSV text, or its path values (``PathAndQuery``)."""

    summary: str
    value: Any
    query: Mapping[str, str] = field(default_factory=dict)


class RequestCodec(Protocol):
    """How an endpoint's requests are read, and how that is documented."""

    options: tuple[QueryOption, ...]
    has_body: bool
    kind: Literal["json", "csv", "path"]
    """How a client sends it: a JSON body, a CSV upload, or path and query values."""

    async def read(self, request: Request, max_upload_bytes: int) -> Received[Any]:
        """The request as read; ``DataError`` / ``PayloadTooLarge`` (4xx) when it is bad."""

    def openapi(self, examples: tuple[Example, ...]) -> dict[str, Any]:
        """``openapi_extra``: the request body and parameters, with the examples."""


def _query(options: tuple[QueryOption, ...], request: Request) -> dict[str, Any]:
    query = request.query_params
    return {option.name: option.parse(query) for option in options}


class JsonBody(Generic[BodyT]):
    """A JSON body: validated as ``schema``, or read by ``parse`` (``schema`` then documents it).

    ``expected`` says in words what each field accepts, for the 400s of ``parse_json_body``.
    """

    has_body = True
    kind: Literal["json", "csv", "path"] = "json"

    def __init__(self, schema: type[BaseModel], *, expected: Mapping[str, str] | None = None,
                 parse: Callable[[bytes], BodyT] | None = None,
                 options: tuple[QueryOption, ...] = ()) -> None:
        self.schema = schema
        self.expected = dict(expected or {})
        self.parse = parse
        self.options = options

    async def read(self, request: Request, max_upload_bytes: int) -> Received[BodyT]:
        """Query options first (cheap), then the body."""
        query = _query(self.options, request)
        raw = await request.body()
        body: Any = (self.parse(raw) if self.parse is not None
                     else parse_json_body(self.schema, raw, self.expected))
        return Received(body, query, len(raw))

    def openapi(self, examples: tuple[Example, ...]) -> dict[str, Any]:
        """The body's schema with its examples; the query options as parameters."""
        extra = openapi_json_body(self.schema)
        extra["requestBody"]["content"]["application/json"]["examples"] = {
            f"example{number}": {"summary": example.summary, "value": example.value}
            for number, example in enumerate(examples, 1)}
        if self.options:
            extra["parameters"] = [option.openapi() for option in self.options]
        return extra


class CsvUpload:
    """A CSV file uploaded as ``multipart/form-data`` in the field ``file``; its bytes."""

    has_body = True
    kind: Literal["json", "csv", "path"] = "csv"

    def __init__(self, description: str, options: tuple[QueryOption, ...] = ()) -> None:
        self.description = description
        self.options = options

    async def read(self, request: Request, max_upload_bytes: int) -> Received[bytes]:
        """Read after access was checked, within the upload limit."""
        query = _query(self.options, request)
        form = await read_form(request, max_upload_bytes)
        upload = form.required_file()
        return Received(upload, query, len(upload))

    def openapi(self, examples: tuple[Example, ...]) -> dict[str, Any]:
        """A multipart body with one binary field, and the example files as text."""
        schema = {"type": "object", "required": ["file"], "properties": {
            "file": {"type": "string", "format": "binary", "description": self.description}}}
        media: dict[str, Any] = {"schema": schema, "examples": {
            f"example{number}": {"summary": example.summary, "value": {"file": example.value}}
            for number, example in enumerate(examples, 1)}}
        extra: dict[str, Any] = {"requestBody": {"required": True,
                                                 "content": {MULTIPART: media}}}
        if self.options:
            extra["parameters"] = [option.openapi() for option in self.options]
        return extra


class PathAndQuery:
    """No body: UUID path values (by name, with descriptions) and query options."""

    has_body = False
    kind: Literal["json", "csv", "path"] = "path"

    def __init__(self, path: Mapping[str, str], options: tuple[QueryOption, ...] = ()) -> None:
        self.path = dict(path)
        self.options = options

    async def read(self, request: Request, max_upload_bytes: int) -> Received[dict[str, str]]:
        """Path values as canonical UUID strings; 400 naming the one that is not."""
        values = {name: uuid_value(request.path_params[name], name) for name in self.path}
        return Received(values, _query(self.options, request))

    def openapi(self, examples: tuple[Example, ...]) -> dict[str, Any]:
        """Path and query parameters, with the first example's values."""
        first = examples[0] if examples else None
        parameters = [{"name": name, "in": "path", "required": True, "description": text,
                       "schema": {"type": "string", "format": "uuid"},
                       **({"example": first.value[name]} if first else {})}
                      for name, text in self.path.items()]
        return {"parameters": parameters + [option.openapi() for option in self.options]}


@dataclass(frozen=True)
class Answer:
    """What ``predict`` returns: the body, and one (input, output) pair per prediction made."""

    body: Any
    inputs: list[Any]
    outputs: list[Any]
    headers: Mapping[str, str] = field(default_factory=dict)
    log_id: str | None = None
    """The id the prediction-log records carry (default: the request's id), e.g. the id a
    client quotes back with feedback."""

    def __post_init__(self) -> None:
        if len(self.inputs) != len(self.outputs):
            raise DataError("an answer needs one output per input")


Predict = Callable[[Loaded[Any], Received[Any]], "Answer | Awaitable[Answer]"]


@dataclass(frozen=True)
class Batch:
    """Run the model once for requests that arrive together (adaptive batching).

    While one batch runs (in a worker thread), the requests that arrive meanwhile wait and go
    together into the next, up to ``max_size``: the window is the model's own latency, so a
    lone client never waits for company and a busy server batches as much as its load allows.
    ``run`` takes the live model and the requests, already read and checked, and returns one
    result per request, in order; ``finish`` turns one result into that request's ``Answer``
    (on the event loop; it may be a coroutine function, e.g. to store a row). A batch that
    fails is run again one request at a time, so only the request at fault gets its error.
    """

    run: Callable[[Loaded[Any], list[Received[Any]]], list[Any]]
    finish: Callable[[Loaded[Any], Received[Any], Any], Answer | Awaitable[Answer]]
    max_size: int = 32


@dataclass(frozen=True)
class Endpoint:
    """One prediction endpoint of a service."""

    method: Literal["GET", "POST"]
    path: str
    summary: str
    request: RequestCodec
    response: Any
    """The answer's type (a pydantic model, ``int``, ``list[str]``, a ``Union`` of shapes)."""
    predict: Predict
    """``(live model and its version, request) -> Answer``; may be a coroutine function (for
    I/O). The model is taken once per request, so a swap meanwhile does not change it."""
    access: Requirement
    examples: tuple[Example, ...]
    cpu_bound: bool = False
    """Run ``predict`` in the thread pool (it takes milliseconds of CPU, or more); with a
    ``batch``, its ``run`` goes to the pool and its ``finish`` stays on the event loop."""
    description: str = ""
    errors: Mapping[int, str] = field(default_factory=dict)
    """Error statuses it answers besides the usual ones, with what they mean."""
    response_example: Any = None
    response_headers: Mapping[str, str] = field(default_factory=dict)
    """Headers of its own the answer carries (name → meaning), for the docs."""
    batch: Batch | None = None
    """Batch concurrent requests to this endpoint (``predict`` still serves when batching is
    turned off with ``MODELWORKS_BATCH_SIZES``)."""
