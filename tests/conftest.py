"""Shared fixtures: encoder assets built once, reference data from ../shared, databases."""

from __future__ import annotations

import csv
import io
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
import zlib
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import text

from modelworks.core.encoders.minilm import MiniLMAssets, ensure_minilm_assets
from modelworks.core.progress import no_progress
from modelworks.core.registry import Registry
from modelworks.core.settings import AuthMode, Settings
from modelworks.core.training import train_and_register
from modelworks.server.db import make_engine
from modelworks.services.genres import GenresService
from modelworks.services.interests import InterestsService
from modelworks.services.interests.generator import (
    GeneratorConfig,
    SeedUser,
    generate,
    read_seed_users,
)
from modelworks.services.movies import MoviesService
from modelworks.services.movies.data import prepare_default_data
from modelworks.services.resumes import ResumesService
from modelworks.services.resumes.generator import ResumeConfig, generate_resumes, resumes_csv
from modelworks.services.similarity import SimilarityService

if TYPE_CHECKING:
    from tests.s3_server import S3Server

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "datasets"
REFERENCE_MOVIES = SHARED / "radix" / "surrogates" / "daniele21-Genre_Detection" / "test.csv"
PEER_SAMPLES = SHARED / "radix" / "peer-samples" / "Youss7777-MovieClassification"
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SEED_USERS_FILE = SHARED / "mle-interview" / "users.csv"
SMALL_INTERESTS = GeneratorConfig(n_users=3000, n_interests=120, n_titles=1200, n_topics=12,
                                  seed=7)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--serve-ray", action="store_true",
                     help="run the contract tests against `modelworks serve --ray`")


@pytest.fixture(scope="session")
def minilm_assets(tmp_path_factory: pytest.TempPathFactory) -> MiniLMAssets:
    return ensure_minilm_assets(tmp_path_factory.mktemp("assets"))


def make_settings(home: Path, assets: MiniLMAssets, **overrides: object) -> Settings:
    """Settings for a fresh home that reuses the session's encoder assets."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "assets").mkdir(exist_ok=True)
    link = home / "assets" / assets.folder.name
    if not link.exists():
        link.symlink_to(assets.folder)
    values: dict[str, object] = {"home": home, "auth": AuthMode.OFF, "log_flush_seconds": 0.05}
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def settings(tmp_path: Path, minilm_assets: MiniLMAssets) -> Settings:
    return make_settings(tmp_path / "home", minilm_assets)


def reference_rows() -> list[dict[str, str]]:
    with REFERENCE_MOVIES.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def is_train(movie_id: str) -> bool:
    return zlib.crc32(movie_id.encode()) % 10 < 8


def movies_csv(rows: list[dict[str, str]], *, with_genres: bool = True) -> bytes:
    """Rows of the reference data in the contract's layout (space-separated genres)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["movie_id", "year", "synopsis"] + (["genres"] if with_genres else []))
    for row in rows:
        values = [row["movie_id"], row["year"], row["synopsis"]]
        if with_genres:
            values.append(row["genres"].replace("|", " "))
        writer.writerow(values)
    return out.getvalue().encode()


@pytest.fixture(scope="session")
def small_training_csv() -> bytes:
    """About 500 training rows of the reference split: enough to learn, quick to fit."""
    rows = [r for r in reference_rows() if is_train(r["movie_id"])][:500]
    return movies_csv(rows)


@pytest.fixture(scope="session")
def small_test_rows() -> list[dict[str, str]]:
    return [r for r in reference_rows() if not is_train(r["movie_id"])][:100]


def reset_postgres() -> None:
    """Drop every table of the test database, so a test starts from an empty schema."""
    engine = make_engine(POSTGRES_URL)
    with engine.begin() as connection:  # every table, those of later migrations included
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each database test runs on SQLite and on the real PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    reset_postgres()
    yield POSTGRES_URL


@pytest.fixture(scope="session")
def movielens_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """MovieLens 100k as `modelworks data prepare movies` leaves it (from the recbole wheel)."""
    return prepare_default_data(tmp_path_factory.mktemp("movies-data"))


@pytest.fixture(scope="session")
def movies_registry(tmp_path_factory: pytest.TempPathFactory, movielens_dir: Path) -> Path:
    """A registry holding one movies model trained on all of ml-100k, promoted by its gate."""
    root = tmp_path_factory.mktemp("movies-registry")
    service = MoviesService()
    result = train_and_register(service, Registry(root), service.read_training_data(movielens_dir),
                                no_progress)
    assert result.promoted, result.reason
    return root


@pytest.fixture(scope="session")
def genres_registry(tmp_path_factory: pytest.TempPathFactory, small_training_csv: bytes,
                    minilm_assets: MiniLMAssets) -> Path:
    """A registry with one genres model trained on the small reference split, promoted."""
    return train_configured(GenresService(), small_training_csv,
                            tmp_path_factory.mktemp("genres-train-home"), minilm_assets)


def train_configured(service: GenresService | ResumesService, data: bytes, home: Path,
                     assets: MiniLMAssets) -> Path:
    """Train a service that reads its settings on ``data`` into ``home``; its registry folder."""
    service.configure(make_settings(home, assets))
    root = home / "registry"
    result = train_and_register(service, Registry(root), service.read_training_data(data),
                                no_progress)
    assert result.promoted, result.reason
    return root


@pytest.fixture(scope="session")
def seed_users() -> list[SeedUser]:
    return read_seed_users(SEED_USERS_FILE)


@pytest.fixture(scope="session")
def interests_dir(tmp_path_factory: pytest.TempPathFactory, seed_users: list[SeedUser]) -> Path:
    return generate(SMALL_INTERESTS, tmp_path_factory.mktemp("interests-data") / "interests",
                    seed_users)


@pytest.fixture(scope="session")
def interests_registry(tmp_path_factory: pytest.TempPathFactory, interests_dir: Path) -> Path:
    """A registry with one interests model trained on the small data set, promoted."""
    root = tmp_path_factory.mktemp("interests-registry")
    service = InterestsService()
    result = train_and_register(service, Registry(root), service.read_training_data(
        interests_dir), no_progress)
    assert result.promoted, result.reason
    return root


def register_copy(registry: Registry, service: str, target: Registry | None = None,
                  *, keep_notes: bool = False) -> int:
    """Register the live version's files again as a new version (in ``target``); its number.

    Two versions that answer alike are what a swap test needs: it checks which version
    answered, not what it answered. ``keep_notes`` keeps the original's notes (its
    evaluation and quality reference) instead of naming it a copy.
    """
    live = registry.live_version(service)
    assert live is not None, service
    manifest = registry.manifest(service, live)
    folder = registry.verified_folder(service, live)

    def write(target: Path) -> None:
        for name in manifest.files:
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(folder / name, target / name)

    notes = manifest.notes if keep_notes else {"name": f"copy of v{live}"}
    return (target or registry).register(
        service, write, metrics=manifest.metrics, params=manifest.params,
        data_sha256=manifest.data_sha256, n_rows=manifest.n_rows, notes=notes).version


ALL_SERVICES = ("genres", "interests", "movies", "resumes", "similarity")


@pytest.fixture
def all_services_home(tmp_path: Path, genres_registry: Path, interests_registry: Path,
                      movies_registry: Path, resumes_registry: Path,
                      similarity_registry: Path) -> Path:
    """A home whose registry holds a live version of every service."""
    for source in (genres_registry, interests_registry, movies_registry, resumes_registry,
                   similarity_registry):
        copy_registry(source, tmp_path)
    return tmp_path


def copy_registry(source: Path, home: Path) -> None:
    """Give ``home`` its own copy of a registry (tests may promote and train in it)."""
    shutil.copytree(source, home / "registry", dirs_exist_ok=True)


def home_with_registries(folder: Path, *registries: Path) -> Path:
    """``folder`` as a home holding its own copy of each registry."""
    for registry in registries:
        copy_registry(registry, folder)
    return folder


SMALL_RESUMES = ResumeConfig(n_resumes=700, seed=11)


@pytest.fixture(scope="session")
def small_resumes_csv() -> bytes:
    """700 generated resumes: enough for every category, quick to fit."""
    return resumes_csv(generate_resumes(SMALL_RESUMES))


@pytest.fixture(scope="session")
def resumes_registry(tmp_path_factory: pytest.TempPathFactory, small_resumes_csv: bytes,
                     minilm_assets: MiniLMAssets) -> Path:
    """A registry with one tfidf-logistic version, promoted past the baseline by its gate."""
    return train_configured(ResumesService(), small_resumes_csv,
                            tmp_path_factory.mktemp("resumes-train-home"), minilm_assets)


@pytest.fixture(scope="session")
def similarity_registry(tmp_path_factory: pytest.TempPathFactory,
                        minilm_assets: MiniLMAssets) -> Path:
    """A registry with one similarity version chosen on the shipped relevance set."""
    home = tmp_path_factory.mktemp("similarity-train-home")
    settings = make_settings(home, minilm_assets)
    service = SimilarityService()
    service.configure(settings)
    result = train_and_register(service, Registry(settings.registry_dir),
                                service.read_training_data(service.prepare_data(settings)),
                                no_progress)
    assert result.promoted, result.reason
    return settings.registry_dir


@dataclass(frozen=True)
class RunningApi:
    """Where the API listens and the home whose admin key the dashboard uses."""

    url: str
    home: Path

    @property
    def headers(self) -> dict[str, str]:
        return {"X-API-Key": (self.home / "admin.key").read_text().strip()}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{process.args} exited with {process.returncode}")
        try:
            if httpx.get(url).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} did not answer in {timeout} s")


@contextmanager
def modelworks_process(command: list[str], home: Path, ready_path: str,
                       extra_env: dict[str, str] | None = None,
                       python: str = sys.executable, ready_timeout: float = 120
                       ) -> Iterator[str]:
    """``modelworks COMMAND --port P`` as a real process; its URL once ``ready_path`` is 200.

    Its output goes to ``home / "<command>.log"``, which a test may read. ``python``: the
    interpreter of another environment (one with a service package installed).
    """
    port = free_port()
    # Only the settings given here: a MODELWORKS_* variable of the shell must not leak in.
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("MODELWORKS_")}
    env = {**inherited, "MODELWORKS_HOME": str(home), "MODELWORKS_LOG_LEVEL": "WARNING",
           "MODELWORKS_LIVE_POLL_SECONDS": "0.2", **(extra_env or {})}
    with (home / f"{command[0]}.log").open("wb") as log_file:
        process = subprocess.Popen(
            [python, "-m", "modelworks", *command, "--port", str(port)],
            env=env, stdout=log_file, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(url + ready_path, process, ready_timeout)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def served(home: Path, services: str, auth: str = "required",
           extra_env: dict[str, str] | None = None,
           options: list[str] | None = None) -> AbstractContextManager[str]:
    """``modelworks serve`` on ``home`` (plus ``options``); its URL once every model is ready."""
    return modelworks_process(["serve", "--services", services, "--auth", auth,
                               *(options or [])], home, "/readyz", extra_env)


def dashboard_served(api: RunningApi) -> AbstractContextManager[str]:
    """``modelworks dashboard`` against ``api``; its URL once Streamlit answers."""
    return modelworks_process(["dashboard", "--api-url", api.url], api.home, "/_stcore/health")


@pytest.fixture(scope="session")
def running_api(tmp_path_factory: pytest.TempPathFactory, minilm_assets: MiniLMAssets,
                resumes_registry: Path, movies_registry: Path,
                genres_registry: Path) -> Iterator[RunningApi]:
    """A real server (resumes, movies and genres, auth on) that dashboards and CLIs talk to."""
    home = tmp_path_factory.mktemp("dashboard-home")
    make_settings(home, minilm_assets)  # links the session's encoder assets
    copy_registry(resumes_registry, home)
    copy_registry(movies_registry, home)
    copy_registry(genres_registry, home)
    with served(home, "resumes,movies,genres") as url:
        yield RunningApi(url, home)


TOKEN_TTL_SECONDS = 2
"""Of ``full_api``'s tokens: short, so a test sees one expire."""


@pytest.fixture(scope="session")
def full_api(tmp_path_factory: pytest.TempPathFactory, minilm_assets: MiniLMAssets,
             genres_registry: Path, interests_registry: Path, movies_registry: Path,
             resumes_registry: Path, similarity_registry: Path) -> Iterator[RunningApi]:
    """Every service, auth required; tokens last 2 s, so a test sees one expire."""
    home = tmp_path_factory.mktemp("client-home")
    make_settings(home, minilm_assets)  # links the session's encoder assets
    for registry in (genres_registry, interests_registry, movies_registry, resumes_registry,
                     similarity_registry):
        copy_registry(registry, home)
    # Tests present wrong keys on purpose; the failure limit must not lock the others out.
    settings = {"MODELWORKS_TOKEN_TTL_SECONDS": str(TOKEN_TTL_SECONDS),
                "MODELWORKS_AUTH_MAX_FAILURES": "1000"}
    with served(home, ",".join(ALL_SERVICES), extra_env=settings) as url:
        yield RunningApi(url, home)


@contextmanager
def uvicorn_thread(app: FastAPI) -> Iterator[str]:
    """``app`` under a real uvicorn server in this process; its URL once it listens."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None,
                                           lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise AssertionError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """moto's S3 server on this machine, for the whole session (it starts in a fraction of s)."""
    from tests.s3_server import moto_s3_server  # moto loads only for the tests that use it

    with moto_s3_server() as server:
        yield server


@pytest.fixture(scope="session")
def s3_files(s3_server: S3Server) -> Any:
    """A test's own client of the moto server (to look into and tamper with buckets)."""
    import s3fs

    return s3fs.S3FileSystem(endpoint_url=s3_server.endpoint, key="testing", secret="testing",
                             skip_instance_cache=True, use_listings_cache=False)


@pytest.fixture
def s3_url(s3_server: S3Server, s3_files: Any, monkeypatch: pytest.MonkeyPatch,
           tmp_path: Path) -> str:
    """A registry URL in a fresh bucket; the usual AWS variables point at the moto server."""
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3", raising=False)
    for name, value in {"AWS_ENDPOINT_URL": s3_server.endpoint, "AWS_ACCESS_KEY_ID": "testing",
                        "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
                        "AWS_EC2_METADATA_DISABLED": "true",
                        "AWS_CONFIG_FILE": str(tmp_path / "no-aws-config"),
                        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-aws-credentials")
                        }.items():
        monkeypatch.setenv(name, value)
    bucket = f"registry-{uuid.uuid4().hex[:12]}"
    s3_files.mkdir(bucket)
    return f"s3://{bucket}/models"
