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


def test_home_is_found_from_any_folder_inside_the_project(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    project = tmp_path / "project"
    deep = project / "src" / "pkg"
    deep.mkdir(parents=True)
    (project / "pyproject.toml").write_text("[project]\n")
    monkeypatch.delenv("MODELWORKS_HOME", raising=False)
    monkeypatch.chdir(deep)
    # None yet: a new one goes at the project's root, wherever the command runs from.
    assert Settings().home == project / ".modelworks"
    (project / ".modelworks").mkdir()
    assert Settings().home == project / ".modelworks"
    # A nearer home wins, as the nearest .git does.
    (project / "src" / ".modelworks").mkdir()
    assert Settings().home == project / "src" / ".modelworks"
    monkeypatch.setenv("MODELWORKS_HOME", str(tmp_path / "elsewhere"))
    assert Settings().home == tmp_path / "elsewhere"


def test_outside_any_project_the_home_is_in_the_current_folder(tmp_path: Path) -> None:
    from modelworks.core.settings import find_home

    assert find_home(tmp_path) == tmp_path / ".modelworks"


def test_the_api_url_follows_the_port_unless_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MODELWORKS_API_URL", raising=False)
    monkeypatch.setenv("MODELWORKS_PORT", "8123")
    assert Settings().api_url == "http://127.0.0.1:8123"
    monkeypatch.setenv("MODELWORKS_API_URL", "http://api.internal:80")
    assert Settings().api_url == "http://api.internal:80"
    monkeypatch.setenv("MODELWORKS_DASHBOARD_PORT", "9123")
    assert Settings().dashboard_port == 9123


def test_a_registry_url_of_an_unknown_protocol_is_one_line_naming_the_variable(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from modelworks.cli.entry import settings_problem

    monkeypatch.setenv("MODELWORKS_REGISTRY_URL", "nosuch://bucket/models")
    with pytest.raises(ValidationError) as refused:
        Settings()
    line = settings_problem(refused.value)
    assert "\n" not in line
    assert "MODELWORKS_REGISTRY_URL='nosuch://bucket/models'" in line
    assert "unknown protocol 'nosuch'" in line
    monkeypatch.setenv("MODELWORKS_REGISTRY_URL", "s3://bucket/models")
    assert Settings().registry_url == "s3://bucket/models"
