"""JSON request bodies validated with pydantic, with 400 messages a client can act on."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError

from modelworks.core.errors import DataError, PayloadTooLarge

BodyT = TypeVar("BodyT", bound=BaseModel)

if TYPE_CHECKING:
    from fastapi import Request


async def read_small_body(request: Request, limit: int) -> bytes:
    """A body that must be small (a key, a version number): 413 past ``limit`` bytes.

    Read as it arrives, so a route anyone may call never holds more than ``limit`` bytes of
    a caller's body, whatever its Content-Length says or leaves out.
    """
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"the body is larger than {limit} bytes, the most this route "
                                  "reads")
        chunks.append(chunk)
    return b"".join(chunks)


def parse_json_body(model: type[BodyT], raw: bytes, expected: Mapping[str, str]) -> BodyT:
    """Validate ``raw`` as ``model``; ``DataError`` naming each bad field and what it accepts.

    ``expected`` describes each field's allowed values in words ("one of M, F, O"), because
    pydantic's own messages do not list them for a missing field.
    """
    fields = ", ".join(model.model_fields)
    if not raw.strip():
        raise DataError(f"the body is empty: send a JSON object with {fields}")
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        problems = [_describe(error, expected, fields) for error in errors]
        first = _field_of(errors[0])
        raise DataError("; ".join(problems), field=first or None) from exc


def _field_of(error: Mapping[str, Any]) -> str:
    return ".".join(str(part) for part in error.get("loc", ()))


def _describe(error: Mapping[str, Any], expected: Mapping[str, str], fields: str) -> str:
    kind = error.get("type")
    name = _field_of(error)
    if kind == "json_invalid":
        return f"the body is not valid JSON: {error.get('ctx', {}).get('error', 'parse error')}"
    if kind in ("model_type", "model_attributes_type") or not name:
        return f"the body must be a JSON object with {fields}"
    if kind == "extra_forbidden":
        return f"unknown field {name!r}; allowed fields: {fields}"
    wanted = expected.get(name.split(".")[0], "")
    if kind == "missing":
        return f"{name} is required" + (f": {wanted}" if wanted else "")
    got = repr(error.get("input"))
    got = got if len(got) <= 60 else got[:57] + "..."
    return f"invalid {name}: {error.get('msg', 'invalid')} (got {got})" + (
        f"; expected {wanted}" if wanted else "")


def openapi_json_body(model: type[BaseModel],
                      examples: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``openapi_extra`` documenting ``model`` as the body of a route that parses it itself.

    ``examples``: summary → body; Swagger UI offers them in "Try it out".
    """
    media: dict[str, Any] = {"schema": model.model_json_schema()}
    if examples:
        media["examples"] = {f"example{number}": {"summary": summary, "value": value}
                             for number, (summary, value) in enumerate(examples.items(), 1)}
    return {"requestBody": {"required": True, "content": {"application/json": media}}}
