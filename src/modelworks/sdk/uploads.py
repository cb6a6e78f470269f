"""Reading uploaded files within the size limit, only once the caller has been admitted.

Upload routes parse their multipart form in the handler, after the route's auth dependency,
rather than through FastAPI's ``File`` parameters (which read the whole body before any
dependency runs): a request without a valid key is refused before its body is read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.datastructures import UploadFile

from modelworks.core.errors import DataError, ModelworksError, PayloadTooLarge

if TYPE_CHECKING:
    from fastapi import Request

_CHUNK = 1 << 20
_MAX_FIELD_BYTES = 64 * 1024
MULTIPART = "multipart/form-data"
FORMS = (MULTIPART, "application/x-www-form-urlencoded")  # the second carries fields, no file


class UnsupportedMediaType(ModelworksError):
    """A body in a format the route does not read (JSON where a form upload is expected)."""

    status_code = 415


def too_large(limit: int) -> PayloadTooLarge:
    """The 413 error for an upload over ``limit`` bytes."""
    return PayloadTooLarge(f"the upload is larger than the limit of {limit} bytes "
                           f"({limit / 1_048_576:.1f} MiB; MODELWORKS_MAX_UPLOAD_BYTES)")


async def read_upload(file: UploadFile, limit: int) -> bytes:
    """The file's bytes; 413 as soon as more than ``limit`` bytes have been read."""
    chunks: list[bytes] = []
    size = 0
    while chunk := await file.read(_CHUNK):
        size += len(chunk)
        if size > limit:
            raise too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


@dataclass(frozen=True)
class Form:
    """A parsed upload: the bytes of its ``file`` field (if any) and its text fields."""

    file: bytes | None
    fields: dict[str, str] = field(default_factory=dict)

    def required_file(self) -> bytes:
        """The uploaded file's bytes; 400 naming the field when there is none."""
        if self.file is None:
            raise DataError("the upload is missing: send the data as a file in the form field "
                            "`file`", field="file")
        return self.file


async def read_form(request: Request, limit: int, *, fields: tuple[str, ...] = (),
                    empty_allowed: bool = False) -> Form:
    """The multipart form of an admitted request: one file in ``file`` and the named fields.

    With ``empty_allowed`` an empty body is an empty form; any other body that is not a form
    is a 415, and unknown fields are a 400 naming them.
    """
    content_type = request.headers.get("content-type", "")
    if not content_type.lower().startswith(FORMS):
        if empty_allowed and not (await request.body()).strip():
            return Form(None)
        raise UnsupportedMediaType(f"send {MULTIPART} with the file in the form field `file` "
                                   f"(got {content_type[:60] or 'no Content-Type'})",
                                   field="file")
    form = await request.form(max_files=1, max_fields=len(fields) + 1,
                              max_part_size=_MAX_FIELD_BYTES)
    try:
        data: bytes | None = None
        values: dict[str, str] = {}
        for name, value in form.multi_items():
            if name == "file" and isinstance(value, UploadFile):
                data = await read_upload(value, limit)
            elif name == "file":
                raise DataError("file must be sent as a file, not as text (curl: --form "
                                "file=@data.csv)", field="file")
            elif name in fields and isinstance(value, str):
                values[name] = value
            else:
                allowed = ", ".join(("file", *fields))
                raise DataError(f"unexpected form field {name[:40]!r}; this route takes "
                                f"{allowed} (file as a file, the rest as text)", field=name[:40])
    finally:
        await form.close()
    return Form(data, values)


def openapi_form(file_description: str, *, file_required: bool,
                 fields: dict[str, str] | None = None,
                 examples: dict[str, str] | None = None) -> dict[str, Any]:
    """``openapi_extra`` documenting a form that ``read_form`` parses.

    ``examples``: a value for some of ``fields``, which Swagger UI fills in.
    """
    properties: dict[str, Any] = {
        "file": {"type": "string", "format": "binary", "description": file_description}}
    for name, description in (fields or {}).items():
        properties[name] = {"type": "string", "description": description}
        if examples and name in examples:
            properties[name]["example"] = examples[name]
    schema = {"type": "object", "properties": properties,
              "required": ["file"] if file_required else []}
    return {"requestBody": {"required": file_required,
                            "content": {MULTIPART: {"schema": schema}}}}
