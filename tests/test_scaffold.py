"""``modelworks new service``: the generated package works with no change to modelworks.

Exactly what a service author does, in an environment of its own (so the project's own
environment never gains a sixth service): write the package, ``pip install -e`` it, prepare its
data, train it, serve it; then its predict route, its prediction-log rows, its metrics, its
OpenAPI example and its dashboard form.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import sysconfig
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import orjson
import pytest
from streamlit.testing.v1 import AppTest

from modelworks.scaffold import check_name, write_service
from tests.conftest import modelworks_process

NAME = "tickets"


@dataclass(frozen=True)
class Installed:
    """The generated package, the environment it is installed in, and a trained home."""

    package: Path
    python: str
    home: Path

    def run(self, *args: str, env: dict[str, str] | None = None) -> str:
        completed = subprocess.run(
            [self.python, *args], capture_output=True, text=True, timeout=600,
            env={**clean_env(), "MODELWORKS_HOME": str(self.home), **(env or {})})
        assert completed.returncode == 0, completed.stdout + completed.stderr
        return completed.stdout + completed.stderr


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("MODELWORKS_")}


def new_environment(folder: Path) -> str:
    """A virtual environment that sees the project's packages but installs into its own."""
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", "--without-pip", str(folder)], check=True)
    python = str(folder / "bin" / "python")
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()"
                                         "['purelib'])"], capture_output=True, text=True,
                          check=True).stdout.strip()
    ours = sysconfig.get_paths()["purelib"]
    Path(site, "project_packages.pth").write_text(f"import site; site.addsitedir({ours!r})\n")
    return python


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    root = tmp_path_factory.mktemp("new-service")
    package = root / "modelworks-tickets"
    completed = subprocess.run([sys.executable, "-m", "modelworks", "new", "service", NAME,
                                "--dir", str(package)], capture_output=True, text=True,
                               env=clean_env(), check=False)
    assert completed.returncode == 0, completed.stderr
    python = new_environment(root / "venv")
    setup = Installed(package, python, root / "home")
    # Offline and without build isolation: modelworks, numpy, scikit-learn and setuptools are
    # already there; nothing may come from an index.
    setup.run("-m", "pip", "install", "--quiet", "--no-index", "--no-build-isolation",
              "-e", str(package))
    setup.run("-m", "modelworks", "data", "prepare", NAME)
    setup.run("-m", "modelworks", "train", NAME)
    return setup


@pytest.fixture(scope="module")
def served(installed: Installed) -> Iterator[str]:
    installed.home.mkdir(exist_ok=True)
    with modelworks_process(["serve", "--services", NAME, "--auth", "required"],
                            installed.home, "/readyz",
                            {"MODELWORKS_TICKETS__MAX_TEXTS": "3"},
                            python=installed.python) as url:
        yield url


def admin(installed: Installed) -> dict[str, str]:
    return {"X-API-Key": (installed.home / "admin.key").read_text().strip()}


def test_the_package_is_clean_and_its_own_tests_pass(installed: Installed) -> None:
    tools = Path(sys.executable).parent
    for command in ([str(tools / "ruff"), "check", "."], [str(tools / "mypy"), "src", "tests"],
                    [installed.python, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                     "tests"]):
        completed = subprocess.run(command, cwd=installed.package, capture_output=True,
                                   text=True, env=clean_env(), check=False)
        assert completed.returncode == 0, completed.stdout + completed.stderr
    imports = "\n".join(path.read_text() for path in installed.package.rglob("*.py"))
    assert "modelworks.server" not in imports
    assert "modelworks.core" not in imports


def test_it_joins_the_installed_services_and_trains_a_live_version(installed: Installed
                                                                   ) -> None:
    assert NAME in installed.run("-m", "modelworks", "services").split()
    listing = installed.run("-m", "modelworks", "models", "list", NAME)
    assert "live" in listing.lower()


def test_its_predict_route_answers_and_logs_one_row_per_text(installed: Installed,
                                                             served: str) -> None:
    texts = ["I was charged twice, please refund my card", "the app crashes on the login screen",
             "where is my parcel, tracking says delivered"]
    answer = httpx.post(f"{served}/{NAME}/predict", json={"texts": texts},
                        headers=admin(installed))
    assert answer.status_code == 200, answer.text
    assert answer.headers["X-Model-Version"] == f"{NAME}:1"
    teams = [p["team"] for p in answer.json()["predictions"]]
    assert teams[0] == "billing"
    assert teams[2] == "shipping"
    for prediction in answer.json()["predictions"]:
        assert sum(prediction["probabilities"].values()) == pytest.approx(1, abs=1e-3)

    refused = httpx.post(f"{served}/{NAME}/predict", json={"texts": ["a"] * 4},
                         headers=admin(installed))
    assert refused.status_code == 413  # its own nested setting, MODELWORKS_TICKETS__MAX_TEXTS=3
    assert "MODELWORKS_TICKETS__MAX_TEXTS" in refused.json()["error"]
    bad = httpx.post(f"{served}/{NAME}/predict", json={"text": "x"}, headers=admin(installed))
    assert bad.status_code == 400
    assert "texts" in bad.json()["error"]
    assert httpx.post(f"{served}/{NAME}/predict", json={"texts": ["x"]}).status_code == 401

    rows = wait_for_rows(installed.home / "modelworks.db", answer.headers["X-Request-ID"], 3)
    assert [orjson.loads(row[1]) for row in rows] == teams
    assert [orjson.loads(row[0])["text"] for row in rows] == texts


def wait_for_rows(database: Path, request_id: str, count: int) -> list[tuple[str, str]]:
    deadline = time.monotonic() + 10
    while True:
        with sqlite3.connect(database) as connection:
            rows = connection.execute(
                "SELECT input, output FROM predictions WHERE service = ? AND request_id = ? "
                "ORDER BY id", (NAME, request_id)).fetchall()
        if len(rows) >= count or time.monotonic() > deadline:
            return rows
        time.sleep(0.1)


def test_its_metrics_and_openapi_document_come_from_the_core(installed: Installed,
                                                            served: str) -> None:
    headers = admin(installed)
    assert httpx.post(f"{served}/{NAME}/predict", json={"texts": ["refund"]},
                      headers=headers).status_code == 200
    metrics = httpx.get(f"{served}/metrics", headers=headers).text
    assert f'service="{NAME}"' in metrics
    operation = httpx.get(f"{served}/openapi.json").json()["paths"][f"/{NAME}/predict"]["post"]
    assert operation["x-modelworks-prediction"]
    body = operation["requestBody"]["content"]["application/json"]
    assert body["schema"]["properties"]["texts"]["type"] == "array"
    assert next(iter(body["examples"].values()))["value"]["texts"]
    assert operation["security"]
    assert {"200", "400", "401", "413"} <= set(operation["responses"])


def test_its_form_is_on_the_dashboard_and_answers(installed: Installed, served: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELWORKS_HOME", str(installed.home))
    monkeypatch.setenv("MODELWORKS_API_URL", served)
    monkeypatch.setenv("MODELWORKS_API_KEY", admin(installed)["X-API-Key"])
    app = AppTest.from_function(_service_page, args=(NAME,), default_timeout=120)
    app.session_state[f"open-{NAME}"] = "Try"
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    assert "charged twice" in app.text_area(key=f"{NAME}-0-0-body").value
    app.button[0].click().run()  # Send
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, [e.value for e in app.error]
    answer = app.session_state[f"{NAME}-0-answer"]
    assert isinstance(answer, dict), answer  # the service answered, and the answer is drawn
    assert app.metric or app.get("vega_lite_chart") or app.json


def _service_page(service: str) -> None:
    from modelworks.dashboard.views import service as page

    page.render(service)


@pytest.mark.parametrize(("name", "reason"), [
    ("Tickets", "not a service name"), ("a", "not a service name"), ("class", "not a service"),
    ("genres", "installed already")])
def test_a_bad_or_taken_name_is_refused(name: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        check_name(name, ["genres"])


def test_it_never_writes_into_a_folder_that_holds_something(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(ValueError, match="not empty"):
        write_service(NAME, tmp_path, taken=[])
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]
