"""A small generated resume set and a registry holding the default model trained on it."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelworks.core.encoders.minilm import MiniLMAssets
from modelworks.core.progress import no_progress
from modelworks.core.registry import Registry
from modelworks.core.training import train_and_register
from modelworks.services.resumes import ResumesService
from modelworks.services.resumes.generator import ResumeConfig, generate_resumes, resumes_csv
from tests.conftest import make_settings

SMALL = ResumeConfig(n_resumes=700, seed=11)


@pytest.fixture(scope="session")
def small_resumes_csv() -> bytes:
    return resumes_csv(generate_resumes(SMALL))


@pytest.fixture(scope="session")
def resumes_registry(tmp_path_factory: pytest.TempPathFactory, small_resumes_csv: bytes,
                     minilm_assets: MiniLMAssets) -> Path:
    """A registry with one tfidf-logistic version, promoted past the baseline by its gate."""
    home = tmp_path_factory.mktemp("resumes-train-home")
    service = ResumesService()
    service.configure(make_settings(home, minilm_assets))
    root = home / "registry"
    result = train_and_register(service, Registry(root),
                                service.read_training_data(small_resumes_csv), no_progress)
    assert result.promoted, result.reason
    return root
