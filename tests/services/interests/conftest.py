"""The interests data set as read for training (the data and registry fixtures are shared)."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelworks.services.interests.data import InterestsData, read_interests_data


@pytest.fixture(scope="session")
def interests_data(interests_dir: Path) -> InterestsData:
    return read_interests_data(interests_dir)[0]
