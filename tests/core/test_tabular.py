from __future__ import annotations

import re

import pytest

from modelworks.core.errors import DataError
from modelworks.core.tabular import read_csv


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "empty"),
        (b"  \n", "empty"),
        (b"a,b\n\xff\xfe,1\n", "not UTF-8"),
        (b"a,b\n1,\x00\n", "NUL"),
        (b"movie_id,title,genres\n1,x,y\n", "missing column: synopsis"),
        (b"movie_id\n1\n", "missing columns: synopsis, genres"),
        (b"movie_id,synopsis,genres\n", "no data rows"),
        (b"movie_id,synopsis,genres\n1,a,b,extra\n", "row 1 (line 2) has 4 fields"),
        (b'movie_id,synopsis,genres\n1,"unterminated,b\n', "not a valid CSV"),
    ],
)
def test_bad_files_are_named(raw: bytes, message: str) -> None:
    with pytest.raises(DataError, match=re.escape(message)):
        read_csv(raw, ["movie_id", "synopsis", "genres"])


def test_rows_keep_extra_columns_line_numbers_and_skip_blank_lines() -> None:
    raw = '\ufeff,movie_id,synopsis\n0,7,"two\nlines"\n\n1,8,plain\n'.encode()
    rows = read_csv(raw, ["movie_id", "synopsis"])
    assert [r.values["movie_id"] for r in rows] == ["7", "8"]
    assert rows[0].values["synopsis"] == "two\nlines"
    assert rows[0].values[""] == "0"
    assert (rows[1].number, rows[1].line) == (2, 5)
