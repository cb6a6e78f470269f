"""Reading MovieLens in both layouts, the default data and the user split."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest

from modelworks.core.errors import DataError
from modelworks.core.splits import holdout_users
from modelworks.services.movies.data import (
    GROUPLENS_GENRES,
    OCCUPATIONS,
    MovieLens,
    read_movielens,
)


@pytest.fixture(scope="module")
def ml100k(movielens_dir: Path) -> MovieLens:
    return read_movielens(movielens_dir)[0]


def test_default_data_is_movielens_100k(ml100k: MovieLens) -> None:
    assert len(ml100k.rating_value) == 100_000
    assert ml100k.n_users == 943
    # 1,682 movies, 18 of them listed twice under the same title and year.
    assert ml100k.n_items == 1682 - 18
    assert len(set(zip(ml100k.titles, ml100k.years, strict=True))) == ml100k.n_items
    assert set(ml100k.genders) == {"M", "F"}
    assert set(ml100k.occupations) == set(OCCUPATIONS)
    assert "Toy Story" in ml100k.titles
    assert ml100k.liked().sum() == int((ml100k.rating_value >= 4).sum()) - _double_likes(ml100k)


def _double_likes(data: MovieLens) -> int:
    """Likes of one user for both copies of a merged movie count once in the matrix."""
    keep = data.rating_value >= 4
    pairs = list(zip(data.rating_user[keep].tolist(), data.rating_item[keep].tolist(),
                     strict=True))
    return len(pairs) - len(set(pairs))


def write_grouplens(data: MovieLens, folder: Path, users: int | None = None) -> Path:
    """The same data in the original GroupLens layout (latin-1, `|` and tab separated)."""
    folder.mkdir(parents=True, exist_ok=True)
    n_users = users or data.n_users
    keep = data.rating_user < n_users
    (folder / "u.data").write_text("".join(
        f"{u + 1}\t{i + 1}\t{int(r)}\t880000000\n" for u, i, r in zip(
            data.rating_user[keep], data.rating_item[keep], data.rating_value[keep],
            strict=True)), encoding="latin-1")
    (folder / "u.user").write_text("".join(
        f"{i + 1}|{data.ages[i]}|{data.genders[i]}|{data.occupations[i]}|00000\n"
        for i in range(n_users)), encoding="latin-1")
    lines = []
    for i, (title, year, genres) in enumerate(zip(data.titles, data.years, data.genres,
                                                  strict=True)):
        flags = "|".join("1" if g in genres else "0" for g in GROUPLENS_GENRES)
        date = f"01-Jan-{year}" if year else ""
        lines.append(f"{i + 1}|{title}|{date}||http://example.invalid/|{flags}\n")
    (folder / "u.item").write_text("".join(lines), encoding="latin-1")
    return folder


def test_grouplens_layout_reads_the_same_data(ml100k: MovieLens, tmp_path: Path) -> None:
    folder = write_grouplens(ml100k, tmp_path / "ml-100k")
    again, digest = read_movielens(folder)
    assert again.n_users == ml100k.n_users
    assert again.titles == ml100k.titles
    assert again.years == ml100k.years
    assert again.genres == ml100k.genres
    assert np.array_equal(again.liked(), ml100k.liked())
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in folder.iterdir():
            zipped.write(path, f"ml-100k/{path.name}")
    from_zip, zip_digest = read_movielens(archive.getvalue())
    assert np.array_equal(from_zip.liked(), ml100k.liked())
    assert zip_digest == digest


def test_latin1_titles_survive(ml100k: MovieLens, tmp_path: Path) -> None:
    folder = write_grouplens(ml100k, tmp_path / "gl")
    text = (folder / "u.item").read_text(encoding="latin-1")
    (folder / "u.item").write_text(text.replace("|Toy Story|", "|Toy Story é|", 1),
                                   encoding="latin-1")
    assert "Toy Story é" in read_movielens(folder)[0].titles


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda f: _replace(f / "u.user", "|student|", "|astronaut|"), "occupation of user"),
        (lambda f: _replace(f / "u.user", "|M|", "|X|"), "gender of user"),
        (lambda f: _replace(f / "u.user", "1|24|", "1|abc|"), "age of user 1"),
        (lambda f: (f / "u.data").write_text("99999\t1\t5\t0\n", encoding="latin-1"),
         "names user '99999'"),
        (lambda f: (f / "u.item").unlink(), "needs u.item"),
        (lambda f: [p.unlink() for p in f.iterdir()], "no MovieLens files"),
    ],
)
def test_bad_data_is_named(ml100k: MovieLens, tmp_path: Path, edit: object, message: str
                           ) -> None:
    folder = write_grouplens(ml100k, tmp_path / "bad", users=50)
    edit(folder)  # type: ignore[operator]
    with pytest.raises(DataError, match=message):
        read_movielens(folder)


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="latin-1")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="latin-1")


def test_too_few_users_and_not_an_archive(ml100k: MovieLens, tmp_path: Path) -> None:
    with pytest.raises(DataError, match="at least 20 users"):
        read_movielens(write_grouplens(ml100k, tmp_path / "few", users=5))
    with pytest.raises(DataError, match="zip archive"):
        read_movielens(b"user_id,item_id\n1,2\n")


def test_holdout_is_a_seeded_fifth_of_the_users() -> None:
    train, held = holdout_users(943)
    assert len(held) == 189
    assert not set(train) & set(held)
    assert sorted([*train, *held]) == list(range(943))
    again = holdout_users(943)
    assert np.array_equal(held, again[1])
    assert not np.array_equal(held, holdout_users(943, seed=7)[1])
