from __future__ import annotations

import re

import pytest

from modelworks.core.errors import DataError
from modelworks.services.genres.data import holdout_split, read_movies, read_training_movies
from tests.conftest import PEER_SAMPLES


def test_the_original_contract_files_parse() -> None:
    train = read_training_movies((PEER_SAMPLES / "sample_train.csv").read_bytes())
    test = read_movies((PEER_SAMPLES / "sample_test.csv").read_bytes(), with_genres=False)
    assert len(train) == 100
    assert len(test) == 10
    assert all(isinstance(y, int) for y in train.years)
    assert all(1 <= len(g) <= 10 for g in train.genres)
    assert len({g for labels in train.genres for g in labels}) >= 15


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"movie_id,synopsis,genres\n1,a,Drama\n1,b,Drama\n",
         "duplicate movie_id '1' on rows 1 and 2"),
        (b"movie_id,synopsis,genres\n1,a,Drama\n2,  ,Drama\n", "empty synopsis on row 2 (line 3)"),
        (b"movie_id,synopsis,genres\n1,a,\n", "no genres on row 1"),
        (b"movie_id,year,synopsis,genres\n1,soon,a,Drama\n", "year 'soon' on row 1"),
        (b"movie_id,synopsis,year,genres\n1,a,3000,Drama\n", "out of range"),
    ],
)
def test_bad_rows_are_named(raw: bytes, message: str) -> None:
    with pytest.raises(DataError, match=re.escape(message)):
        read_movies(raw, with_genres=True)


def test_training_needs_rows_and_five_genres() -> None:
    rows = "".join(f"{i},story {i},Drama Comedy\n" for i in range(20))
    with pytest.raises(DataError, match="at least 5 distinct genres"):
        read_training_movies(f"movie_id,synopsis,genres\n{rows}".encode())
    with pytest.raises(DataError, match="at least 10 rows"):
        read_training_movies(b"movie_id,synopsis,genres\n1,a,Drama\n")


def test_genres_accept_spaces_or_pipes_and_drop_repeats() -> None:
    movies = read_movies(b"movie_id,synopsis,genres\n1,a,Drama|Crime Drama\n", with_genres=True)
    assert movies.genres == [["Drama", "Crime"]]
    assert movies.years == [None]


def test_holdout_split_is_stable_and_disjoint() -> None:
    movies = read_movies(b"movie_id,synopsis\n" + "".join(
        f"{i},s\n" for i in range(200)).encode(), with_genres=False)
    train, held = holdout_split(movies)
    assert set(train).isdisjoint(held)
    assert len(train) + len(held) == 200
    assert 20 <= len(held) <= 60
    assert holdout_split(movies) == (train, held)
