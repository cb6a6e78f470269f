"""Seed 001, ThirdLove: the API specification table, row by row.

| POST /api/authenticate | {"key": string} | 200 - Authentication token ; 401 - Wrong key |
| POST /api/recommend | {"age": int, "gender": M|F|O, "occupation": ...} | 200 - [List of movie
titles] ; 400 - Invalid gender or occupation ; 401 - Unauthenticated session |

The genders, occupations and answers are read from the table itself. The key a client holds is
issued the way an operator would: ``modelworks keys create --scope predict``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from modelworks.core.encoders.minilm import MiniLMAssets
from modelworks.sdk.access import Principal, Scope
from modelworks.server.tokens import TokenIssuer
from modelworks.services.movies.data import read_movielens
from tests.conftest import RunningApi
from tests.contracts.conftest import seed_document, stand_in

DOCUMENT = seed_document(1)


def table_row(path: str) -> list[str]:
    """The cells of the specification table's row for ``path``."""
    for line in DOCUMENT.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        # Alternatives (M|F|O) share the table's separator, so the row is split too finely;
        # the method and URL still come first and the answers last.
        if len(cells) > 2 and cells[1] == path:
            return [cells[0], cells[1], "|".join(cells[2:-1]), cells[-1]]
    raise AssertionError(f"no row for {path} in the document's table")


def answers(row: list[str]) -> dict[int, str]:
    """``{200: "Authentication token", 401: "Wrong key"}`` from a row's response cell."""
    return {int(code): text.strip() for code, text in
            re.findall(r"(\d{3}) - ([^;]+)", row[3])}


def alternatives(row: list[str], field: str) -> list[str]:
    """The values a parameter cell lists for ``field`` (``"gender": M|F|O``)."""
    found = re.search(rf'"{field}": ([\w|]+)', row[2])
    assert found, field
    return found.group(1).split("|")


AUTHENTICATE = table_row("/api/authenticate")
RECOMMEND = table_row("/api/recommend")
GENDERS = alternatives(RECOMMEND, "gender")
OCCUPATIONS = alternatives(RECOMMEND, "occupation")


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, minilm_assets: MiniLMAssets,
        movies_registry: Path, serving: list[str]) -> Iterator[RunningApi]:
    # This module sends a dozen wrong credentials on purpose; the default limit (5 a minute
    # per client, then 429) is tested in tests/reliability/test_credentials.py.
    with stand_in(tmp_path_factory, minilm_assets, "movies", movies_registry,
                  {"MODELWORKS_AUTH_MAX_FAILURES": "100"}, serving=serving) as server:
        yield server


@pytest.fixture(scope="module")
def client_key(api: RunningApi) -> str:
    created = subprocess.run(
        [sys.executable, "-m", "modelworks", "keys", "create", "--scope", "predict",
         "--name", "thirdlove client"], env={**os.environ, "MODELWORKS_HOME": str(api.home)},
        capture_output=True, text=True, check=True)
    return created.stdout.strip()


@pytest.fixture(scope="module")
def token(api: RunningApi, client_key: str) -> str:
    response = httpx.post(f"{api.url}/api/authenticate", json={"key": client_key})
    assert response.status_code == 200, response.text
    return str(response.json()["token"])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_the_table_is_what_these_tests_read() -> None:
    assert AUTHENTICATE[:2] == ["POST", "/api/authenticate"]
    assert answers(AUTHENTICATE) == {200: "Authentication token", 401: "Wrong key"}
    assert answers(RECOMMEND) == {200: "[List of movie titles]",
                                  400: "Invalid gender or occupation",
                                  401: "Unauthenticated session"}
    assert GENDERS == ["M", "F", "O"]
    assert len(OCCUPATIONS) == 21


def test_authenticate_answers_a_token_or_wrong_key(api: RunningApi, client_key: str) -> None:
    good = httpx.post(f"{api.url}/api/authenticate", json={"key": client_key})
    assert good.status_code == 200
    assert isinstance(good.json()["token"], str)
    assert good.json()["token"]
    assert good.json()["scopes"] == ["predict"]
    for wrong in ({"key": client_key[:-3] + "xyz"}, {"key": "letmein"}, {}):
        refused = httpx.post(f"{api.url}/api/authenticate", json=wrong)
        assert refused.status_code == 401
        assert answers(AUTHENTICATE)[401].lower() in refused.json()["error"]


def test_recommend_answers_a_bare_list_of_titles(api: RunningApi, token: str,
                                                 movielens_dir: Path) -> None:
    response = httpx.post(f"{api.url}/api/recommend", headers=bearer(token),
                          json={"age": 25, "gender": "F", "occupation": "student"})
    assert response.status_code == 200, response.text
    titles = response.json()
    assert isinstance(titles, list)
    assert len(titles) == 10
    assert set(titles) <= set(read_movielens(movielens_dir)[0].titles)
    assert uuid.UUID(response.headers["X-Recommendation-ID"])


@pytest.mark.parametrize("occupation", OCCUPATIONS)
def test_every_listed_occupation_and_gender_is_accepted(api: RunningApi, token: str,
                                                        occupation: str) -> None:
    for gender in GENDERS:
        response = httpx.post(f"{api.url}/api/recommend", headers=bearer(token),
                              json={"age": 40, "gender": gender, "occupation": occupation})
        assert response.status_code == 200, response.text
        assert all(isinstance(title, str) for title in response.json())


@pytest.mark.parametrize(("change", "named"), [
    ({"gender": "X"}, "invalid gender"), ({"gender": "male"}, "invalid gender"),
    ({"occupation": "pilot"}, "invalid occupation"),
    ({"occupation": "Programmer"}, "invalid occupation"),
])
def test_invalid_gender_or_occupation_is_400(api: RunningApi, token: str,
                                            change: dict[str, str], named: str) -> None:
    body = {"age": 30, "gender": "M", "occupation": "writer", **change}
    response = httpx.post(f"{api.url}/api/recommend", headers=bearer(token), json=body)
    assert response.status_code == 400
    assert named in response.json()["error"].lower()
    assert response.json()["field"] == named.split()[1]


def expired_token(api: RunningApi) -> str:
    """A token signed by this server that expired a moment ago."""
    issuer = TokenIssuer((api.home / "token.secret").read_text().strip(), 1)
    token = issuer.issue(Principal("someone", "thirdlove client", frozenset({Scope.PREDICT})))
    time.sleep(2.1)
    return token


@pytest.mark.parametrize("credential", ["none", "not-a-token", "a.b.c", "mw_guess_guess",
                                        "expired"])
def test_an_unauthenticated_session_is_401(api: RunningApi, credential: str) -> None:
    headers = {} if credential == "none" else {"Authorization": "Bearer " + (
        expired_token(api) if credential == "expired" else credential)}
    response = httpx.post(f"{api.url}/api/recommend", headers=headers,
                          json={"age": 30, "gender": "M", "occupation": "writer"})
    assert response.status_code == 401
    assert response.json()["error"].startswith(answers(RECOMMEND)[401].lower())


@pytest.mark.parametrize(("body", "field"), [
    ({"gender": "M", "occupation": "writer"}, "age"),
    ({"age": "thirty", "gender": "M", "occupation": "writer"}, "age"),
    ({"age": 0, "gender": "M", "occupation": "writer"}, "age"),
    ({"age": 30, "occupation": "writer"}, "gender"),
    ({"age": 30, "gender": "M"}, "occupation"),
    ({"age": 30, "gender": "M", "occupation": "writer", "max_recs": "ten"}, "max_recs"),
])
def test_where_the_table_is_silent_a_bad_body_is_a_400_naming_the_field(
        api: RunningApi, token: str, body: dict[str, object], field: str) -> None:
    response = httpx.post(f"{api.url}/api/recommend", headers=bearer(token), json=body)
    assert response.status_code == 400
    assert response.json()["field"] == field
    assert field in response.json()["error"]


def test_an_unknown_field_is_a_400_naming_the_allowed_ones(api: RunningApi, token: str) -> None:
    response = httpx.post(f"{api.url}/api/recommend", headers=bearer(token), json={
        "age": 30, "gender": "M", "occupation": "writer", "zip": "10001"})
    assert response.status_code == 400
    assert "unknown field 'zip'" in response.json()["error"]


def test_detail_and_feedback_go_further_than_the_table(api: RunningApi, token: str) -> None:
    served = httpx.post(f"{api.url}/api/recommend?detail=true", headers=bearer(token),
                        json={"age": 25, "gender": "F", "occupation": "student", "max_recs": 3})
    detail = served.json()
    assert set(detail) == {"recommendations", "id", "scores"}
    assert detail["id"] == served.headers["X-Recommendation-ID"]
    assert list(detail["scores"]) == detail["recommendations"]
    rated = httpx.post(f"{api.url}/api/recommend/feedback", headers=bearer(token), json={
        "id": served.headers["X-Recommendation-ID"], "movie": detail["recommendations"][0],
        "score": 5})
    assert rated.status_code == 200, rated.text
    assert httpx.post(f"{api.url}/api/recommend/feedback", json={
        "id": detail["id"], "movie": detail["recommendations"][0], "score": 5}).status_code == 401
