"""Every shell example of the README, pasted into bash against a real server.

The newcomer's folder holds ``.modelworks`` as ``make run`` leaves it: a live model of every
service (the session's trained registries) and the prepared training data. ``modelworks
serve`` runs in that folder, as ``make run`` starts it, on a free port. Each README block then
runs in a fresh ``bash`` in the same folder, changed only where a newcomer on another port
would change it: ``localhost:8000`` becomes the test's port, and ``MODELWORKS_API_URL`` points
the CLI there. Each step's output is checked against the ``# ->`` line under it
(``tests/readme_blocks.py`` says how that line is read); ``curl`` runs through a wrapper that
only records each answer's HTTP status.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from modelworks.core.encoders.minilm import MiniLMAssets
from tests.conftest import REPO, copy_registry, make_settings, modelworks_process
from tests.readme_blocks import Block, Step, bash_blocks, mismatches, parse_expected, steps

README = REPO / "README.md"
PORT_IN_README = "localhost:8000"
STATUS_MARK = "MW_HTTP_STATUS"
BLOCKS = bash_blocks(README.read_text(encoding="utf-8"))
NOT_RUN = {
    "Two commands": "make run and make test themselves; this test stands in for make run",
    "Your own service": "installs a generated package; tests/test_scaffold.py runs these steps "
                        "in an environment of its own",
}
# Values the test can only compare by type: they depend on data or models that differ between
# this test's server and make run's (URL fragment of the step -> keys).
LOOSE: dict[str, frozenset[str]] = {
    # The test trains on 500 rows of the reference split, not `data prepare genres`' file.
    "/genres/train": frozenset({"rows"}),
    # The README's movie "1": its ranking is the default genres model's, which the test does
    # not train, so check_genres checks its answer's shape (five distinct genres, their scores)
    # instead of the genres shown.
    "/genres/predict": frozenset({"1"}),
    # The test's interests data is a small generated set (3,000 users, 120 interests).
    "/interests/": frozenset({"id", "label"}),
}


def check_genres(answer: object) -> list[str]:
    """Each movie gets five distinct genres (and their scores when asked for)."""
    if not isinstance(answer, dict):
        return [f"not an object: {answer!r}"]
    problems = []
    for movie, ranked in answer.items():
        genres = [ranked.get(str(rank)) for rank in range(5)]
        if len(set(genres)) != 5 or not all(isinstance(g, str) for g in genres):
            problems.append(f"movie {movie}: not five distinct genres: {genres}")
        scores = ranked.get("scores", {})
        if scores and not set(genres) <= set(scores):
            problems.append(f"movie {movie}: scores lack some of {genres}: {scores}")
    return problems


def check_min_probability(answer: object) -> list[str]:
    """What the README says in words: interests at or above 0.5, at most 15."""
    if not isinstance(answer, dict) or not isinstance(answer.get("interests"), list):
        return [f"no interests in {answer!r}"]
    interests = answer["interests"]
    problems = [f"{i['label']}: {i['probability']} < 0.5" for i in interests
                if i["probability"] < 0.5]
    if len(interests) > 15:
        problems.append(f"{len(interests)} interests, more than 15")
    return problems


EXTRA_CHECKS: dict[str, Callable[[object], list[str]]] = {"/genres/predict": check_genres}
PROSE_CHECKS: dict[str, Callable[[object], list[str]]] = {
    "only the interests with probability >= 0.5 (at most top_k, default 15)":
        check_min_probability,
}


@dataclass(frozen=True)
class Newcomer:
    """The folder a newcomer works in, the server's port and the shell's environment."""

    folder: Path
    port: int
    env: dict[str, str]


@pytest.fixture(scope="module")
def newcomer(tmp_path_factory: pytest.TempPathFactory, minilm_assets: MiniLMAssets,
             genres_registry: Path, interests_registry: Path, movies_registry: Path,
             resumes_registry: Path, similarity_registry: Path, small_training_csv: bytes,
             small_resumes_csv: bytes) -> Iterator[Newcomer]:
    folder = tmp_path_factory.mktemp("newcomer")
    home = folder / ".modelworks"
    settings = make_settings(home, minilm_assets)  # links the session's encoder assets
    for registry in (genres_registry, interests_registry, movies_registry, resumes_registry,
                     similarity_registry):
        copy_registry(registry, home)
    # The files `modelworks data prepare` writes, which training without an upload reads.
    for relative, content in (("genres/movies.csv", small_training_csv),
                              ("resumes/resumes.csv", small_resumes_csv)):
        (settings.data_dir / relative).parent.mkdir(parents=True, exist_ok=True)
        (settings.data_dir / relative).write_bytes(content)
    with modelworks_process(["serve"], home, "/readyz") as url:
        yield Newcomer(folder, int(url.rsplit(":", 1)[1]), shell_env(folder, url))


def shell_env(folder: Path, url: str) -> dict[str, str]:
    """A newcomer's shell: the project's ``modelworks`` and a ``curl`` that notes statuses."""
    curl = shutil.which("curl")
    assert curl, "the README's examples need curl (apt-get install curl)"
    shim = folder.parent / f"{folder.name}-bin"
    shim.mkdir()
    (shim / "curl").write_text(
        f"#!/bin/sh\nexec {curl} -w '%{{stderr}}{STATUS_MARK} %{{http_code}}\\n' \"$@\"\n")
    (shim / "curl").chmod(0o755)
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("MODELWORKS_")}
    path = os.pathsep.join([str(shim), str(Path(sys.executable).parent),
                            inherited.get("PATH", "")])
    return {**inherited, "PATH": path, "MODELWORKS_API_URL": url}


@dataclass(frozen=True)
class Ran:
    """What one step printed, its exit status and the HTTP statuses of its curls."""

    stdout: str
    stderr: str
    returncode: int
    statuses: list[int]


def run_block(block: Block, newcomer: Newcomer) -> list[tuple[Step, Ran]]:
    """The block's steps in one bash, each one's output kept apart."""
    found = steps(block.text)
    outputs = newcomer.folder.parent / f"{newcomer.folder.name}-out-{block.line}"
    outputs.mkdir()
    script = []
    for number, step in enumerate(found):
        code = step.commands.replace(PORT_IN_README, f"localhost:{newcomer.port}")
        # A group, not a subshell: variables a step sets (KEY, TOKEN, JOB) reach the next one.
        script.append(f"{{\n{code}\n}} >{outputs}/{number}.out 2>{outputs}/{number}.err\n"
                      f"echo $? >{outputs}/{number}.rc\n")
    subprocess.run(["bash", "-c", "".join(script)], cwd=newcomer.folder, env=newcomer.env,
                   timeout=900, check=False)
    results = []
    for number, step in enumerate(found):
        stderr = (outputs / f"{number}.err").read_text()
        statuses = [int(line.split()[1]) for line in stderr.splitlines()
                    if line.startswith(STATUS_MARK)]
        results.append((step, Ran(
            (outputs / f"{number}.out").read_text(),
            "\n".join(line for line in stderr.splitlines() if not line.startswith(STATUS_MARK)),
            int((outputs / f"{number}.rc").read_text()), statuses)))
    return results


def problems_of(step: Step, ran: Ran) -> list[str]:
    """How a step's result differs from what the README shows under it."""
    if ran.returncode != 0:
        return [f"exit status {ran.returncode}: {ran.stderr[-800:]}"]
    expected = parse_expected(step.expected) if step.expected else None
    wanted_status = expected.status if expected else None
    if wanted_status is not None:
        if ran.statuses[-1:] != [wanted_status]:
            return [f"HTTP {ran.statuses}, the README shows {wanted_status}"]
    elif any(not 200 <= status < 300 for status in ran.statuses):
        return [f"HTTP {ran.statuses}: {ran.stdout[-400:]}"]
    if expected is None:
        return []
    try:
        answer = json.loads(ran.stdout)
    except json.JSONDecodeError:
        return [f"not JSON: {ran.stdout[-400:]!r}"]
    fragment = next((f for f in LOOSE if f in step.commands), "")
    extra = next((c for f, c in EXTRA_CHECKS.items() if f in step.commands), None)
    if not expected.has_value:
        check = PROSE_CHECKS.get(expected.prose)
        if check is None:
            return [f"the test does not know how to check {expected.prose!r}: add it to "
                    "PROSE_CHECKS"]
        return check(answer)
    found = mismatches(expected.value, answer, loose=LOOSE.get(fragment, frozenset()))
    return found + (extra(answer) if extra else [])


def block_id(block: Block) -> str:
    return f"line{block.line}-{block.section.split(',')[0].replace(' ', '-').lower()}"


def test_the_reading_of_a_block_catches_an_answer_that_differs() -> None:
    block = 'A=1\ncurl x   # -> 7\ncurl y\n# -> {"a":\n#     1}\ncurl z  # no arrow'
    assert [(s.commands, s.expected) for s in steps(block)] == [
        ("A=1\ncurl x", "7"), ("curl y", '{"a": 1}'), ("curl z  # no arrow", None)]
    shown = parse_expected('202 {"id":"ab...","n":3,"p":0.5,"items":["a", ...3],...}  (why)')
    assert (shown.status, shown.comment) == (202, "(why)")
    good = {"id": "abc", "n": 3, "p": 0.91, "items": ["a", "b", "c"], "more": 1}
    assert mismatches(shown.value, good) == []
    for bad in ({**good, "id": "xbc"}, {**good, "n": 4}, {**good, "p": "high"},
                {**good, "items": ["b", "a", "c"]}, {**good, "items": ["a", "b"]},
                {k: v for k, v in good.items() if k != "n"}):
        assert mismatches(shown.value, bad), bad
    assert mismatches(shown.value, {**good, "n": 4}, loose=frozenset({"n"})) == []
    exact = parse_expected('{"status": "healthy"}').value
    assert mismatches(exact, {"status": "healthy", "extra": 1})
    assert parse_expected("only the interests with probability >= 0.5").prose
    five = {"0": "Drama", "1": "War", "2": "Romance", "3": "Comedy", "4": "Crime"}
    assert check_genres({"1": five}) == []
    assert check_genres({"1": {**five, "4": "Drama"}})
    assert check_genres({"1": {**five, "scores": {"Drama": 0.9}}})


def test_every_block_is_run_or_says_why_not() -> None:
    assert {b.section for b in BLOCKS} >= set(NOT_RUN), "a block NOT_RUN names has moved"
    assert [b for b in BLOCKS if b.section not in NOT_RUN and not steps(b.text)] == []


@pytest.mark.parametrize("block", [b for b in BLOCKS if b.section not in NOT_RUN], ids=block_id)
def test_readme_block_gives_what_it_shows(block: Block, newcomer: Newcomer) -> None:
    failures = []
    for step, ran in run_block(block, newcomer):
        for problem in problems_of(step, ran):
            failures.append(f"README line {block.line}, step\n{step.commands}\n  -> {problem}")
    assert not failures, "\n\n".join(failures)
