"""``modelworks serve --reload``: a real server restarts its app when a watched file changes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from modelworks.core.encoders.minilm import MiniLMAssets
from tests.conftest import home_with_registries, make_settings, modelworks_process


def serving_pid(url: str, home: Path) -> str | None:
    """The process answering (``--reload`` runs one), or None while it restarts."""
    admin = {"X-API-Key": (home / "admin.key").read_text().strip()}
    try:
        answer = httpx.get(f"{url}/models/resumes", headers=admin, timeout=5)
    except httpx.TransportError:
        return None
    return next(iter(answer.json()["workers"])) if answer.status_code == 200 else None


def test_a_changed_file_restarts_the_app(tmp_path: Path, minilm_assets: MiniLMAssets,
                                         resumes_registry: Path) -> None:
    home = home_with_registries(tmp_path / "home", resumes_registry)
    make_settings(home, minilm_assets)
    watched = tmp_path / "my_service"
    watched.mkdir()
    with modelworks_process(["serve", "--services", "resumes", "--reload", "--reload-dir",
                             str(watched)], home, "/readyz",
                            {"MODELWORKS_LOG_LEVEL": "INFO"}) as url:
        before = serving_pid(url, home)
        assert before is not None
        (watched / "routes.py").write_text("ANSWER = 42\n")
        deadline = time.monotonic() + 60
        after = before
        while after in (before, None) and time.monotonic() < deadline:
            time.sleep(0.2)
            after = serving_pid(url, home)
        assert after not in (before, None), "the app was not restarted"
        assert httpx.get(f"{url}/readyz").json()["services"] == {"resumes": 1}
    log = (home / "serve.log").read_text()
    assert "routes.py" in log  # the change it saw
    assert str(Path(__file__).parents[1] / "src" / "modelworks") in log  # watched by default


def test_reload_refuses_workers(tmp_path: Path) -> None:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("MODELWORKS_")},
           "MODELWORKS_HOME": str(tmp_path)}
    for arguments, message in ((["--reload", "--workers", "2"], "--reload runs one process"),
                               (["--reload-dir", str(tmp_path)], "only with --reload"),
                               (["--ray", "--workers", "2"], "leave out --workers")):
        refused = subprocess.run([sys.executable, "-m", "modelworks", "serve", *arguments],
                                 env=env, capture_output=True, text=True, timeout=60,
                                 check=False)
        assert refused.returncode == 2, refused.stderr
        assert message in refused.stderr
