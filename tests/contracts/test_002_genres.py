"""Seed 002, Radix: ``/genres/train`` and ``/genres/predict`` over multipart CSV.

Replays the challenge's ``run.sh`` (curl ``--fail``, ``--form "file=@train.csv;type=text/csv"``,
no key) with the first rows of the real challenge files (``,movie_id,year,synopsis,genres``,
a pandas index first), then with the exact headers the document names
(``movie_id,synopsis,genres`` and ``movie_id,synopsis``). The answer is the document's
``{<movie-id>: {0: <first-prediction>, ..., 4: <fifth-prediction>}}``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from modelworks.core.encoders.minilm import MiniLMAssets
from tests.conftest import PEER_SAMPLES, RunningApi, is_train, reference_rows
from tests.contracts.conftest import seed_document, stand_in

DOCUMENT = seed_document(2)
TRAIN_HEADER, PREDICT_HEADER = re.findall(r"CSV with header `([^`]+)`", DOCUMENT)
# The 18 genres of the challenge's data (../shared/datasets/radix/SOURCE.md).
RADIX_GENRES = {"Action", "Adventure", "Animation", "Children", "Comedy", "Crime", "Documentary",
                "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance",
                "Sci-Fi", "Thriller", "War", "Western"}
RANKS = [str(rank) for rank in range(5)]


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, minilm_assets: MiniLMAssets,
        genres_registry: Path, serving: list[str]) -> Iterator[RunningApi]:
    with stand_in(tmp_path_factory, minilm_assets, "genres", genres_registry,
                  serving=serving) as server:
        yield server


def post_csv(url: str, content: bytes, name: str) -> httpx.Response:
    """What run.sh's curl sends: one multipart field `file`, typed text/csv, and no key."""
    return httpx.post(url, files={"file": (name, content, "text/csv")}, timeout=600)


def documented_csv(header: str, rows: list[dict[str, str]]) -> bytes:
    """``rows`` of the reference data under exactly the document's header."""
    columns = header.split(",")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        values = {**row, "genres": row["genres"].replace("|", " ")}
        writer.writerow([values[column] for column in columns])
    return out.getvalue().encode()


def assert_ranked_answer(body: dict[str, dict[str, str]], movie_ids: list[str]) -> None:
    assert list(body) == movie_ids
    for ranking in body.values():
        assert list(ranking) == RANKS
        assert len(set(ranking.values())) == 5
        assert set(ranking.values()) <= RADIX_GENRES


def test_the_headers_are_what_the_document_names() -> None:
    assert (TRAIN_HEADER, PREDICT_HEADER) == ("movie_id,synopsis,genres", "movie_id,synopsis")


def test_run_sh_trains_then_predicts_on_the_challenge_files(api: RunningApi) -> None:
    trained = post_csv(f"{api.url}/genres/train",
                       (PEER_SAMPLES / "sample_train.csv").read_bytes(), "train.csv")
    assert trained.status_code == 200, trained.text
    assert trained.json()["rows"] == 100
    test_csv = (PEER_SAMPLES / "sample_test.csv").read_bytes()
    predicted = post_csv(f"{api.url}/genres/predict", test_csv, "test.csv")
    assert predicted.status_code == 200, predicted.text
    movie_ids = [row["movie_id"] for row in csv.DictReader(io.StringIO(test_csv.decode()))]
    assert_ranked_answer(predicted.json(), movie_ids)


def test_the_documented_headers_train_and_predict(api: RunningApi) -> None:
    rows = reference_rows()
    train = [row for row in rows if is_train(row["movie_id"])][:300]
    test = [row for row in rows if not is_train(row["movie_id"])][:20]
    trained = post_csv(f"{api.url}/genres/train", documented_csv(TRAIN_HEADER, train),
                       "train.csv")
    assert trained.status_code == 200, trained.text
    predicted = post_csv(f"{api.url}/genres/predict", documented_csv(PREDICT_HEADER, test),
                         "test.csv")
    assert predicted.status_code == 200, predicted.text
    assert_ranked_answer(predicted.json(), [row["movie_id"] for row in test])


def test_the_five_genres_are_ranked_by_likelihood(api: RunningApi) -> None:
    test_csv = (PEER_SAMPLES / "sample_test.csv").read_bytes()
    plain = post_csv(f"{api.url}/genres/predict", test_csv, "test.csv").json()
    scored = httpx.post(f"{api.url}/genres/predict", params={"include_scores": "true"},
                        files={"file": ("test.csv", test_csv, "text/csv")}).json()
    for movie_id, ranking in plain.items():
        scores = scored[movie_id]["scores"]
        assert list(scores) == [ranking[rank] for rank in RANKS]
        assert list(scores.values()) == sorted(scores.values(), reverse=True)


@pytest.mark.parametrize(("path", "content", "named"), [
    ("/genres/predict", b"movie_id,plot\n1,A heist.\n", "synopsis"),
    ("/genres/predict", b"movie_id,synopsis\n1,\n", "synopsis"),
    ("/genres/train", b"movie_id,synopsis\n1,A heist.\n", "genres"),
])
def test_where_the_document_is_silent_a_bad_csv_is_a_400_naming_it(
        api: RunningApi, path: str, content: bytes, named: str) -> None:
    response = post_csv(f"{api.url}{path}", content, "bad.csv")
    assert response.status_code == 400
    assert named in response.json()["error"]


def test_a_form_without_the_file_field_is_a_400_naming_what_is_wrong(api: RunningApi) -> None:
    other = httpx.post(f"{api.url}/genres/predict", data={"other": "x"})
    assert other.status_code == 400
    assert other.json()["field"] == "other"
    assert "file" in other.json()["error"]
    empty = httpx.post(f"{api.url}/genres/predict", files={"other": ("a.txt", b"x")})
    assert empty.status_code == 400
    assert empty.json()["field"] == "other"
    nothing = httpx.post(f"{api.url}/genres/predict", data={})
    assert nothing.status_code == 415
    assert nothing.json()["field"] == "file"
