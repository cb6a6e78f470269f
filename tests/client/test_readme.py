"""The README's client example runs as pasted against a real server and prints what it says."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys

from tests.conftest import REPO, RunningApi


def readme_example() -> str:
    section = (REPO / "README.md").read_text().split("## Python client", 1)[1].split("\n## ")[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.DOTALL)
    assert len(blocks) == 1
    return str(blocks[0])


def test_the_readme_example_runs(full_api: RunningApi) -> None:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("MODELWORKS_")},
           "MODELWORKS_API_URL": full_api.url, "MODELWORKS_HOME": str(full_api.home)}
    ran = subprocess.run([sys.executable, "-c", readme_example()], env=env,
                         capture_output=True, text=True, timeout=120, check=False)
    assert ran.returncode == 0, ran.stderr
    printed = ran.stdout.splitlines()
    assert len(printed) == 6, ran.stdout
    assert printed[1] == "Oracle DBA"
    movie_id, genres = printed[2].split(" ", 1)
    assert movie_id == "1"
    assert len(ast.literal_eval(genres)) == 5
    assert printed[3].index("circular saw") < printed[3].index("claw hammer")  # cuts wood
    assert "'resumes': 1" in printed[4]
    assert printed[5].startswith("400 user_handle 400: ")
