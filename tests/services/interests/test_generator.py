"""The generator: reproducible from its seed, the seed users kept, a realistic structure."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from modelworks.core.errors import DataError
from modelworks.services.interests.data import InterestsData, prepare_default_data
from modelworks.services.interests.generator import (
    MAX_INTERESTS_PER_USER,
    GeneratorConfig,
    SeedUser,
    generate,
)
from tests.conftest import SMALL_INTERESTS as SMALL

TINY = GeneratorConfig(n_users=400, n_interests=80, n_titles=400, n_topics=8, chunk_users=150)


def rows(folder: Path, name: str = "users.csv") -> list[dict[str, str]]:
    with (folder / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_same_seed_gives_the_same_bytes_and_another_seed_other_users(tmp_path: Path
                                                                         ) -> None:
    first = generate(TINY, tmp_path / "a")
    again = generate(TINY, tmp_path / "b")
    other = generate(GeneratorConfig(**{**TINY.__dict__, "seed": 43}), tmp_path / "c")
    for name in ("users.csv", "interests.csv", "titles.csv", "generator.json"):
        assert (first / name).read_bytes() == (again / name).read_bytes(), name
    assert (first / "users.csv").read_bytes() != (other / "users.csv").read_bytes()
    assert json.loads((first / "generator.json").read_text())["config"]["seed"] == TINY.seed


def test_seed_users_come_first_with_their_handle_name_and_type(
        interests_dir: Path, seed_users: list[SeedUser]) -> None:
    generated = rows(interests_dir)
    assert len(seed_users) == 20
    for seed, row in zip(seed_users, generated, strict=False):
        assert (row["id"], row["name"], row["type"]) == (seed.handle, seed.name,
                                                         seed.account_type)
    assert len({row["id"] for row in generated}) == SMALL.n_users


def test_interests_are_job_titles_with_uuid_ids(interests_dir: Path) -> None:
    catalogue = rows(interests_dir, "interests.csv")
    assert len(catalogue) == SMALL.n_interests
    assert len({row["label"] for row in catalogue}) == SMALL.n_interests
    assert all(len(row["id"]) == 36 and row["id"].count("-") == 4 for row in catalogue)
    assert all(row["label"] and row["label"][0].isupper() for row in catalogue)


def test_the_structure_is_realistic(interests_data: InterestsData) -> None:
    held = np.asarray(interests_data.interests.sum(axis=1)).ravel()
    assert held.min() >= 1
    assert held.max() <= MAX_INTERESTS_PER_USER
    assert held.max() > 15  # some users hold many interests, most a few
    b2b = interests_data.b2b
    assert 0.25 < b2b.mean() < 0.45
    assert held[b2b].mean() > held[~b2b].mean() + 1  # business accounts hold more
    # Account types prefer different interests.
    share_b2b = np.asarray(interests_data.interests[b2b].mean(axis=0)).ravel()
    share_b2c = np.asarray(interests_data.interests[~b2b].mean(axis=0)).ravel()
    assert np.corrcoef(share_b2b, share_b2c)[0, 1] < 0.9
    # Popular and niche interests.
    holders = np.sort(np.asarray(interests_data.interests.sum(axis=0)).ravel())
    assert holders[-1] > 10 * max(holders[len(holders) // 10], 1)
    consumed = np.asarray(interests_data.consumed.sum(axis=1)).ravel()
    assert consumed.min() >= 1
    assert np.median(consumed) > 5


def test_output_does_not_depend_on_the_chunk_size_of_the_world(tmp_path: Path) -> None:
    one = generate(TINY, tmp_path / "one")
    catalogue = (one / "interests.csv").read_bytes()
    wider = generate(GeneratorConfig(**{**TINY.__dict__, "n_users": 900}), tmp_path / "two")
    assert (wider / "interests.csv").read_bytes() == catalogue  # the world is user-independent
    assert rows(wider)[:150] == rows(one)[:150]  # the first chunk is the same users


@pytest.mark.parametrize(("change", "named"), [
    ({"n_users": 0}, "--users"),
    ({"n_interests": 10}, "interests"),
    ({"n_titles": 50}, "titles"),
])
def test_impossible_sizes_are_refused(tmp_path: Path, change: dict[str, int], named: str
                                      ) -> None:
    with pytest.raises(DataError, match=named):
        generate(GeneratorConfig(**{**TINY.__dict__, **change}), tmp_path / "x")


def test_more_seed_users_than_users_is_refused(tmp_path: Path,
                                               seed_users: list[SeedUser]) -> None:
    with pytest.raises(DataError, match="seed users"):
        generate(GeneratorConfig(**{**TINY.__dict__, "n_users": 5}), tmp_path / "x", seed_users)


def test_prepared_data_is_kept_for_the_same_choices_and_remade_for_others(tmp_path: Path
                                                                          ) -> None:
    folder = prepare_default_data(tmp_path, TINY)
    stamp = (folder / "users.csv").stat().st_mtime_ns
    assert prepare_default_data(tmp_path, TINY) == folder
    assert prepare_default_data(tmp_path) == folder  # no choices: whatever is there
    assert (folder / "users.csv").stat().st_mtime_ns == stamp
    prepare_default_data(tmp_path, GeneratorConfig(**{**TINY.__dict__, "n_users": 300}))
    assert len(rows(folder)) == 300
