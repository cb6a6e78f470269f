"""Reading an interests data set: folder or zip, and errors that name the problem."""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest

from modelworks.core.errors import DataError
from modelworks.core.splits import holdout_users
from modelworks.services.interests.data import InterestsData, read_interests_data


def zipped(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in ("interests.csv", "titles.csv", "users.csv"):
            archive.write(folder / name, f"data/{name}")
    return buffer.getvalue()


def test_a_folder_and_its_zip_read_the_same(interests_dir: Path,
                                            interests_data: InterestsData) -> None:
    from_zip, digest_zip = read_interests_data(zipped(interests_dir))
    _, digest_folder = read_interests_data(interests_dir)
    assert digest_zip == digest_folder
    assert from_zip.handles == interests_data.handles
    assert (from_zip.consumed != interests_data.consumed).nnz == 0
    assert (from_zip.interests != interests_data.interests).nnz == 0


def test_subset_keeps_rows_aligned(interests_data: InterestsData) -> None:
    train, held = holdout_users(interests_data.n_users)
    assert len(np.intersect1d(train, held)) == 0
    assert len(train) + len(held) == interests_data.n_users
    part = interests_data.subset(held[:5])
    assert part.handles == [interests_data.handles[i] for i in held[:5]]
    assert (part.interests != interests_data.interests[held[:5]]).nnz == 0


def broken_copy(source: Path, target: Path, file: str, old: str, new: str) -> Path:
    shutil.copytree(source, target)
    text = (target / file).read_text(encoding="utf-8")
    assert old in text
    (target / file).write_text(text.replace(old, new, 1), encoding="utf-8")
    return target


def test_errors_name_the_file_row_and_column(interests_dir: Path, tmp_path: Path) -> None:
    users = (interests_dir / "users.csv").read_text(encoding="utf-8").splitlines()
    first = users[1].split(",")
    handle, title = first[0], first[3].split()[0]
    interest = (interests_dir / "interests.csv").read_text().splitlines()[1].split(",")[0]
    cases = [
        ("users.csv", handle, "not-a-uuid", "users.csv row 1 (line 2): id 'not-a-uuid' is not"),
        ("users.csv", ",B2B,", ",B2X,", "type 'B2X' is not B2B or B2C"),
        ("users.csv", f",{title} ", ",999999 ", "title id 999999 is not in titles.csv"),
        ("interests.csv", interest, "xyz", "interests.csv row 1 (line 2): id 'xyz'"),
        ("titles.csv", "\n0,", "\nzero,", "titles.csv row 1 (line 2): id 'zero'"),
    ]
    for number, (file, old, new, message) in enumerate(cases):
        broken = broken_copy(interests_dir, tmp_path / str(number), file, old, new)
        with pytest.raises(DataError, match=message.replace("(", r"\(").replace(")", r"\)")):
            read_interests_data(broken)


def test_missing_files_and_non_archives_are_refused(interests_dir: Path, tmp_path: Path
                                                     ) -> None:
    shutil.copytree(interests_dir, tmp_path / "d")
    (tmp_path / "d" / "titles.csv").unlink()
    with pytest.raises(DataError, match=r"lacks titles\.csv"):
        read_interests_data(tmp_path / "d")
    with pytest.raises(DataError, match="zip archive"):
        read_interests_data(b"id,name\n1,2\n")
