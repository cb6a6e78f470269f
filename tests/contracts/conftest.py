"""Each seed document replayed against a real server standing in for its original system.

A module per document starts ``modelworks serve --services <one> --auth contract``, as the
README's "stand in for an original system" table does (only the port differs), and sends the
document's requests as written. With ``pytest --serve-ray`` the same server runs as
``serve --ray`` (a Ray Serve replica behind the ingress), so the contract holds there too.
Requests and expectations are read from the document itself wherever it spells them out,
so the tests follow the contract, not our memory of it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from modelworks.core.encoders.minilm import MiniLMAssets
from tests.conftest import REPO, RunningApi, copy_registry, make_settings, served

SEEDS = REPO.parent / "shared" / "seeds"


def seed_document(number: int) -> str:
    """The text of seed document ``number`` (0 to 4)."""
    found = sorted(SEEDS.glob(f"{number:03d}_*.txt"))
    if len(found) != 1:
        raise FileNotFoundError(f"seed document {number:03d} not found in {SEEDS}: the contract "
                                "tests read the seed documents from ../shared beside the project")
    return found[0].read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def serving(pytestconfig: pytest.Config) -> list[str]:
    """Extra options of ``serve``: ``--ray`` under ``pytest --serve-ray``."""
    return ["--ray"] if pytestconfig.getoption("--serve-ray") else []


@contextmanager
def stand_in(tmp_path_factory: pytest.TempPathFactory, assets: MiniLMAssets, service: str,
             registry: Path, extra_env: dict[str, str] | None = None, *,
             serving: list[str]) -> Iterator[RunningApi]:
    """``modelworks serve --services SERVICE --auth contract`` on a home of its own."""
    home = tmp_path_factory.mktemp(f"stand-in-{service}")
    make_settings(home, assets)  # links the session's encoder assets
    copy_registry(registry, home)
    with served(home, service, "contract", extra_env, serving) as url:
        yield RunningApi(url, home)
