"""Reading resume CSVs strictly, and the fixed stratified split."""

from __future__ import annotations

import re

import numpy as np
import pytest

from modelworks.core.errors import DataError
from modelworks.services.resumes.data import holdout_split, read_resumes


def test_reads_texts_and_labels(small_resumes_csv: bytes) -> None:
    resumes = read_resumes(small_resumes_csv)
    assert len(resumes) == 700
    assert set(np.unique(resumes.labels)) <= set(range(14))
    assert all(text.strip() for text in resumes.texts)


def test_split_is_fixed_stratified_and_disjoint(small_resumes_csv: bytes) -> None:
    resumes = read_resumes(small_resumes_csv)
    train, held = holdout_split(resumes)
    again_train, again_held = holdout_split(resumes)
    assert np.array_equal(held, again_held)
    assert np.array_equal(train, again_train)
    assert not set(train) & set(held)
    assert len(held) == 140
    overall = np.bincount(resumes.labels, minlength=14) / len(resumes)
    in_held = np.bincount(resumes.labels[held], minlength=14) / len(held)
    assert np.abs(overall - in_held).max() < 0.02


@pytest.mark.parametrize(("body", "message"), [
    (b"resume,label\n", "no data rows"),
    (b"text,label\nhello,1\n", "resume"),
    (b'resume,label\n"Java dev",x\n"SQL dev",2\n', "row 1 (line 2): label 'x' is not an integer"),
    (b'resume,label\n"Java dev",14\n"SQL dev",2\n', "label 14 is outside 0-13"),
    (b'resume,label\n"  ",1\n"SQL dev",2\n', "row 1 (line 2): the resume is empty"),
    (b'resume,label\n"a",1\n"b",1\n', "fewer than two categories"),
    (b'resume,label\n"a",1\n"b",1\n"c",2\n', "only one of: Business Intelligence"),
])
def test_bad_files_are_refused_naming_the_problem(body: bytes, message: str) -> None:
    with pytest.raises(DataError, match=re.escape(message)):
        read_resumes(body)
