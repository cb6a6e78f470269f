"""Request ids: unique, and ordered by time so the prediction log's index takes them in order."""

from __future__ import annotations

import time
import uuid

from modelworks.sdk.requests import new_request_id


def test_request_ids_are_uuid7_hex_and_unique() -> None:
    ids = [new_request_id() for _ in range(10_000)]
    assert len(set(ids)) == len(ids)
    for value in ids[:100]:
        parsed = uuid.UUID(value)
        assert (parsed.version, parsed.variant) == (7, uuid.RFC_4122)
        assert parsed.hex == value


def test_request_ids_sort_by_the_millisecond_they_were_made() -> None:
    earlier = [new_request_id() for _ in range(50)]
    time.sleep(0.002)
    later = [new_request_id() for _ in range(50)]
    assert max(earlier) < min(later)
    millis = int(later[0][:12], 16)
    assert abs(millis - time.time() * 1000) < 1000
