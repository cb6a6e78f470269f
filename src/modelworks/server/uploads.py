"""Reading uploaded files within the size limit."""

from __future__ import annotations

from fastapi import UploadFile

from modelworks.core.errors import PayloadTooLarge

_CHUNK = 1 << 20


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
