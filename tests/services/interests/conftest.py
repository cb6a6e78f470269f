"""A small generated interests data set and a registry holding a model trained on it."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelworks.core.progress import no_progress
from modelworks.core.registry import Registry
from modelworks.core.training import train_and_register
from modelworks.services.interests import InterestsService
from modelworks.services.interests.data import InterestsData, read_interests_data
from modelworks.services.interests.generator import (
    GeneratorConfig,
    SeedUser,
    generate,
    read_seed_users,
)
from tests.conftest import SHARED

SEED_USERS_FILE = SHARED / "mle-interview" / "users.csv"
SMALL = GeneratorConfig(n_users=3000, n_interests=120, n_titles=1200, n_topics=12, seed=7)


@pytest.fixture(scope="session")
def seed_users() -> list[SeedUser]:
    return read_seed_users(SEED_USERS_FILE)


@pytest.fixture(scope="session")
def interests_dir(tmp_path_factory: pytest.TempPathFactory, seed_users: list[SeedUser]) -> Path:
    return generate(SMALL, tmp_path_factory.mktemp("interests-data") / "interests", seed_users)


@pytest.fixture(scope="session")
def interests_data(interests_dir: Path) -> InterestsData:
    return read_interests_data(interests_dir)[0]


@pytest.fixture(scope="session")
def interests_registry(tmp_path_factory: pytest.TempPathFactory, interests_dir: Path) -> Path:
    """A registry with one interests model trained on the small data set, promoted."""
    root = tmp_path_factory.mktemp("interests-registry")
    service = InterestsService()
    result = train_and_register(service, Registry(root), service.read_training_data(
        interests_dir), no_progress)
    assert result.promoted, result.reason
    return root
