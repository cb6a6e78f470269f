"""A service's own settings: nested under its name in the environment, overridable in code."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from pydantic import ValidationError

from modelworks.core.settings import Settings
from modelworks.services.genres.settings import GenresSettings
from modelworks.services.resumes.settings import ResumesSettings
from modelworks.services.similarity.settings import SimilaritySettings


def test_a_service_reads_its_fields_nested_under_its_name(monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    monkeypatch.setenv("MODELWORKS_SIMILARITY__MAX_PAIRS", "77")
    monkeypatch.setenv("MODELWORKS_GENRES__MAX_PREDICT_ROWS", "12")
    settings = Settings()
    assert settings.for_service("similarity", SimilaritySettings).max_pairs == 77
    assert settings.for_service("similarity", SimilaritySettings).max_texts == 1_000
    assert settings.for_service("genres", GenresSettings).max_predict_rows == 12


def test_options_given_in_code_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELWORKS_GENRES__MAX_PREDICT_ROWS", "12")
    settings = Settings(service_options={"genres": {"max_predict_rows": 3}})
    assert settings.for_service("genres", GenresSettings).max_predict_rows == 3


def test_service_options_parse_from_json_in_the_environment(monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    monkeypatch.setenv("MODELWORKS_SERVICE_OPTIONS", '{"resumes": {"samples_dir": "/srv/cv"}}')
    options = Settings().for_service("resumes", ResumesSettings)
    assert options.samples_dir == Path("/srv/cv")


def test_an_old_flat_name_still_works_with_a_warning(monkeypatch: pytest.MonkeyPatch,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("MODELWORKS_MAX_PREDICT_ROWS", "9")
    with caplog.at_level(logging.WARNING):
        assert Settings().for_service("genres", GenresSettings).max_predict_rows == 9
    assert "MODELWORKS_GENRES__MAX_PREDICT_ROWS" in caplog.text
    monkeypatch.setenv("MODELWORKS_GENRES__MAX_PREDICT_ROWS", "4")  # the new name wins
    assert Settings().for_service("genres", GenresSettings).max_predict_rows == 4


@pytest.mark.parametrize("options", [{"max_rows": 5}, {"max_predict_rows": 0}])
def test_a_wrong_option_is_refused_by_name(options: dict[str, object]) -> None:
    with pytest.raises(ValidationError, match="max_"):
        Settings(service_options={"genres": options}).for_service("genres", GenresSettings)


def test_an_invalid_nested_value_in_the_environment_is_refused(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELWORKS_SIMILARITY__MAX_TEXTS", "many")
    with pytest.raises(ValidationError, match="max_texts"):
        Settings().for_service("similarity", SimilaritySettings)
