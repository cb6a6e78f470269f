"""The dashboard in headless Chromium: every page renders without an exception; screenshots.

The screenshots are kept as test artifacts in ``test-artifacts/dashboard/`` (or the folder in
``MODELWORKS_TEST_ARTIFACTS``). Chromium is Debian's ``chromium`` package (``make test``
installs it where missing).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

from tests.conftest import REPO, RunningApi, dashboard_served

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"]
# A page first, not the root: a first visit straight to a page must go through the app script.
PAGES = {"training": "training", "inference": "", "explore": "explore",
         "services": "services"}
NAVIGATION = ["Inference", "Training", "Explore data", "Other services"]


@pytest.fixture(scope="module")
def dashboard_url(running_api: RunningApi) -> Iterator[str]:
    with dashboard_served(running_api) as url:
        yield url


def artifacts() -> Path:
    folder = Path(os.environ.get("MODELWORKS_TEST_ARTIFACTS", REPO / "test-artifacts"))
    (folder / "dashboard").mkdir(parents=True, exist_ok=True)
    return folder / "dashboard"


def rendered(page: Page, url: str) -> None:
    """Open ``url`` and wait until Streamlit has run the page script to its end."""
    page.goto(url)
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']",
                           timeout=120_000)
    page.wait_for_timeout(1500)  # charts draw after the script ends


def test_every_page_renders_in_chromium(dashboard_url: str) -> None:
    assert CHROMIUM.exists(), "install Debian's chromium (make test does: apt-get install chromium)"
    folder = artifacts()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            problems = {}
            for name, path in PAGES.items():
                rendered(page, f"{dashboard_url}/{path}")
                shot = folder / f"{name}.png"
                page.screenshot(path=str(shot), full_page=True)
                assert shot.stat().st_size > 10_000
                exceptions = page.locator("[data-testid='stException']").all_inner_texts()
                errors = page.locator("[data-testid='stAlertContentError']").all_inner_texts()
                if exceptions or errors:
                    problems[name] = exceptions + errors
                assert page.locator("h1").count() >= 1, f"{name} shows no title"
                links = page.get_by_test_id("stSidebarNav").get_by_role("link").all_inner_texts()
                assert [link.strip() for link in links] == NAVIGATION, (name, links)
        finally:
            browser.close()
    assert not problems, problems
