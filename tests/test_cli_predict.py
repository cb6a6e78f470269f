"""``modelworks predict``: a file of inputs, one JSON line out each, here or on a real server."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from modelworks.cli import app
from modelworks.core.encoders.minilm import MiniLMAssets
from tests.conftest import SEED_USERS_FILE, RunningApi, home_with_registries, make_settings

RESUMES_CSV = ('text,label\n'
               '"Oracle DBA with 8 years of RMAN, Data Guard and RAC on 19c",7\n'
               ',\n'
               '"Java developer: Spring Boot, Hibernate, Maven and JUnit",5\n')


def lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines()]


@pytest.fixture
def resumes_home(tmp_path: Path, minilm_assets: MiniLMAssets, resumes_registry: Path) -> Path:
    home = home_with_registries(tmp_path / "home", resumes_registry)
    make_settings(home, minilm_assets)  # links the encoder assets
    return home


def test_locally_each_row_gets_its_line_and_a_bad_row_its_error(resumes_home: Path,
                                                                 tmp_path: Path) -> None:
    data = tmp_path / "resumes.csv"
    data.write_text(RESUMES_CSV)
    result = CliRunner().invoke(app, ["predict", "resumes", "--input", str(data)],
                                env={"MODELWORKS_HOME": str(resumes_home)})
    assert result.exit_code == 1, result.output  # one row was refused
    first, refused, third = lines(result.stdout)
    assert (first["category"], third["category"]) == ("Oracle DBA", "Java Developer")
    assert first["model_version"] == 1
    assert refused == {"row": 2, "error": "text or resume is missing"}
    assert "100%" in result.stderr
    assert "3/3" in result.stderr
    assert "2 of 3 rows predicted; 1 refused" in result.stderr


def test_locally_json_lines_in_a_file_out(resumes_home: Path, tmp_path: Path) -> None:
    data = tmp_path / "resumes.jsonl"
    data.write_text('{"text": "Sharepoint developer: SPFx, PowerShell, site collections"}\n\n'
                    '{"resume": "Oracle DBA: RMAN backups, Data Guard, RAC"}\n')
    output = tmp_path / "out" / "answers.jsonl"
    output.parent.mkdir()
    result = CliRunner().invoke(app, ["predict", "resumes", "-i", str(data), "-o", str(output)],
                                env={"MODELWORKS_HOME": str(resumes_home)})
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    answers = lines(output.read_text())
    assert [a["category"] for a in answers] == ["Sharepoint Developer", "Oracle DBA"]
    # The predictions are the server's: stored in this home's history like any other.
    assert answers[1]["prediction_id"] == answers[0]["prediction_id"] + 1


def test_on_a_server_movies_and_genres_in_chunks(running_api: RunningApi, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELWORKS_HOME", str(running_api.home))  # the admin key's home
    people = tmp_path / "people.jsonl"
    people.write_text('{"age": 25, "gender": "F", "occupation": "student", "max_recs": 2}\n'
                      '{"age": 60, "gender": "M", "occupation": "astronaut"}\n'
                      '{"age": "31", "gender": "O", "occupation": "writer"}\n')
    result = CliRunner().invoke(app, ["predict", "movies", "-i", str(people),
                                      "--api-url", running_api.url])
    assert result.exit_code == 1, result.output
    student, astronaut, writer = lines(result.stdout)
    assert len(student["recommendations"]) == 2  # type: ignore[arg-type]
    assert astronaut["row"] == 2
    assert "occupation" in str(astronaut["error"])
    assert len(writer["recommendations"]) == 10  # type: ignore[arg-type]

    movies = tmp_path / "movies.csv"
    rows = [f'{n},"A lonely cowboy number {n} defends a frontier town from outlaws.",{1900 + n}'
            for n in range(1, 121)]
    rows[60] = "61,,1961"  # no synopsis: refused alone, its chunk is retried row by row
    movies.write_text("movie_id,synopsis,year\n" + "\n".join(rows) + "\n")
    genres = CliRunner().invoke(app, ["predict", "genres", "-i", str(movies),
                                      "--api-url", running_api.url])
    assert genres.exit_code == 1, genres.output
    answers = lines(genres.stdout)
    assert len(answers) == 120
    assert answers[60]["row"] == 61
    assert "synopsis" in str(answers[60]["error"])
    good = [a for n, a in enumerate(answers) if n != 60]
    assert [a["movie_id"] for a in good] == [str(n) for n in range(1, 121) if n != 61]
    assert all(len(a["genres"]) == 5 for a in good)  # type: ignore[arg-type]
    assert "120/120" in genres.stderr


def test_a_key_is_taken_from_the_option_or_the_environment(running_api: RunningApi,
                                                           tmp_path: Path) -> None:
    data = tmp_path / "resumes.csv"
    data.write_text(RESUMES_CSV)
    empty_home = {"MODELWORKS_HOME": str(tmp_path / "no-key-here")}
    command = ["predict", "resumes", "-i", str(data), "--api-url", running_api.url]
    keyless = CliRunner().invoke(app, command, env=empty_home)
    assert keyless.exit_code == 1
    assert "401" in keyless.stderr
    assert keyless.stdout == ""  # the run stops: no row is to blame
    key = running_api.headers["X-API-Key"]
    with_option = CliRunner().invoke(app, [*command, "--api-key", key], env=empty_home)
    from_env = CliRunner().invoke(app, command, env={**empty_home, "MODELWORKS_API_KEY": key})
    for result in (with_option, from_env):
        assert [line.get("category") for line in lines(result.stdout)] == [
            "Oracle DBA", None, "Java Developer"]


def test_what_cannot_run_says_why(tmp_path: Path, resumes_home: Path) -> None:
    data = tmp_path / "resumes.csv"
    data.write_text(RESUMES_CSV)
    env = {"MODELWORKS_HOME": str(resumes_home)}
    typo = CliRunner().invoke(app, ["predict", "resume", "-i", str(data)], env=env)
    assert typo.exit_code == 2
    assert "did you mean resumes?" in typo.output
    untrained = CliRunner().invoke(app, ["predict", "movies", "-i", str(data)], env=env)
    assert untrained.exit_code == 1
    assert "movies has no live model" in " ".join(untrained.output.split())
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"text": "fine"}\n{"text": \n')
    bad = CliRunner().invoke(app, ["predict", "resumes", "-i", str(broken)], env=env)
    assert bad.exit_code == 2
    assert "line 2 of" in bad.output
    assert "not valid JSON" in bad.output
    nowhere = CliRunner().invoke(app, ["predict", "resumes", "-i", str(data), "--api-url",
                                       "http://127.0.0.1:9"], env=env)
    assert nowhere.exit_code == 1
    assert "cannot reach the API at http://127.0.0.1:9" in " ".join(nowhere.output.split())


def test_on_a_server_interests_and_similarity(full_api: RunningApi, tmp_path: Path) -> None:
    env = {"MODELWORKS_HOME": str(full_api.home)}  # the admin key's home
    with SEED_USERS_FILE.open(encoding="utf-8") as handle:
        handles = [row["id"] for row in csv.DictReader(handle)][:2]
    users = tmp_path / "users.csv"
    users.write_text(f"user_handle,top_k,min_probability\n{handles[0]},3,\n"
                     f"{handles[1]},,0.5\nnot-a-uuid,2,\n")
    found = CliRunner().invoke(app, ["predict", "interests", "-i", str(users),
                                     "--api-url", full_api.url], env=env)
    first, second, bad = lines(found.stdout)
    assert first["user_handle"] == handles[0]
    assert len(first["interests"]) == 3  # type: ignore[arg-type]
    assert all(i["probability"] >= 0.5 for i in second["interests"])  # type: ignore[attr-defined]
    assert bad["row"] == 3
    assert "user_handle" in str(bad["error"])

    queries = tmp_path / "queries.csv"
    queries.write_text('query,product_descriptions,top_k\n'
                       '"What can I use to cut wood?","Claw hammer with a grip | '
                       'Circular saw with laser guide",1\n'
                       'Something to hold nails,'
                       '"[""Claw hammer with a grip"", ""Circular saw""]",\n')
    ranked = CliRunner().invoke(app, ["predict", "similarity", "-i", str(queries),
                                      "--api-url", full_api.url], env=env)
    assert ranked.exit_code == 0, ranked.output
    saw, hammer = lines(ranked.stdout)
    assert saw["queries"] == ["What can I use to cut wood?"]
    assert [r["product_description"] for r in saw["results"][0]["results"]] == [  # type: ignore[index]
        "Circular saw with laser guide"]
    assert len(hammer["results"][0]["results"]) == 2  # type: ignore[index]
