"""The API-added users directory on SQLite and on the real PostgreSQL server."""

from __future__ import annotations

import numpy as np

from modelworks.server.db import make_engine, migrate
from modelworks.services.interests.directory import Profile, UserDirectory

HANDLE = "4f1c2a9e-1111-4a5b-9c3d-000000000001"


def test_writes_reach_another_worker_by_lookup_and_by_sync(database_url: str) -> None:
    engine = make_engine(database_url)
    migrate(engine)
    writer, reader = UserDirectory(engine), UserDirectory(engine)
    assert reader.read_changes() == 0
    writer.upsert([Profile(HANDLE, "Ada", "B2B", np.array([3, 1, 2]))])
    assert reader.cached(HANDLE) is None  # not yet in this worker's memory
    found = reader.lookup(HANDLE)  # a first sight goes to the database
    assert found is not None
    assert found.name == "Ada"
    assert found.b2b
    np.testing.assert_array_equal(found.title_ids, [3, 1, 2])

    writer.upsert([Profile(HANDLE, "Ada L.", "B2C", np.array([7]))])
    stale = reader.cached(HANDLE)
    assert stale is not None
    assert stale.name == "Ada"
    assert reader.read_changes() >= 1
    updated = reader.cached(HANDLE)
    assert updated is not None
    assert updated.name == "Ada L."
    assert not updated.b2b
    assert writer.existing([HANDLE, "4f1c2a9e-1111-4a5b-9c3d-000000000002"]) == {HANDLE}
    assert reader.lookup("4f1c2a9e-1111-4a5b-9c3d-000000000002") is None

    restarted = UserDirectory(engine)
    assert restarted.read_changes() == 1
    assert len(restarted) == 1
    engine.dispose()
