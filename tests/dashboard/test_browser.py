"""The console in headless Chromium, as a person uses it, with a screenshot of every page.

Against a real server of every service and a real ``modelworks dashboard``: a predict-only
key sees no training or key pages; the admin trains a resumes model, promotes it through the
confirmation, rolls back, and tries every service. Screenshots go to ``test-artifacts/
dashboard/`` (or ``$MODELWORKS_TEST_ARTIFACTS/dashboard``), numbered in the order taken.
Chromium is Debian's ``chromium`` package (``make test`` installs it where missing).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from tests.conftest import REPO, dashboard_served
from tests.dashboard.conftest import Console

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"]
SERVICES = ("genres", "interests", "movies", "resumes", "similarity")
SCRIPT_DONE = "[data-testid='stApp'][data-test-script-state='notRunning']"
TRAINING_SECONDS = 300


@pytest.fixture(scope="module")
def dashboard_url(console: Console) -> Iterator[str]:
    with dashboard_served(console.api) as url:
        yield url


def artifacts() -> Path:
    folder = Path(os.environ.get("MODELWORKS_TEST_ARTIFACTS", REPO / "test-artifacts"))
    (folder / "dashboard").mkdir(parents=True, exist_ok=True)
    return folder / "dashboard"


class Visit:
    """One browser tab on the dashboard: waits for Streamlit, checks, takes screenshots."""

    def __init__(self, page: Page, folder: Path) -> None:
        self.page = page
        self.folder = folder
        self.taken: list[str] = []

    def settled(self, timeout_s: float = 120) -> None:
        """Wait until Streamlit has run the page script to its end, then for the charts."""
        self.page.wait_for_timeout(400)  # a click's rerun starts a moment later
        self.page.wait_for_selector(SCRIPT_DONE, timeout=timeout_s * 1000)
        self.page.wait_for_timeout(1200)  # charts draw after the script ends
        problems = (self.page.get_by_test_id("stException").all_inner_texts()
                    + self.page.get_by_test_id("stAlertContentError").all_inner_texts())
        assert not problems, problems

    def shot(self, name: str) -> None:
        path = self.folder / f"{len(self.taken) + 1:02d}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 10_000
        self.taken.append(path.name)

    def navigation(self) -> list[str]:
        links = self.page.get_by_test_id("stSidebarNav").get_by_role("link").all_inner_texts()
        return [link.strip() for link in links]

    def open(self, title: str) -> None:
        self.page.get_by_test_id("stSidebarNav").get_by_role("link", name=title,
                                                             exact=True).click()
        self.settled()

    def click(self, name: str, timeout_s: float = 120) -> None:
        self.page.get_by_role("button", name=name, exact=True).click()
        self.settled(timeout_s)

    def section(self, name: str) -> None:
        self.page.get_by_test_id("stButtonGroup").get_by_text(name, exact=True).click()
        self.settled()

    def choose(self, label: str, option: str) -> None:
        self.page.get_by_test_id("stSelectbox").filter(has_text=label).click()
        self.page.get_by_role("option", name=option, exact=True).click()
        self.settled()

    def log_in(self, key: str) -> None:
        self.page.get_by_label("API key", exact=True).fill(key)
        self.click("Log in")


def test_console_flow_in_chromium(console: Console, dashboard_url: str) -> None:
    assert CHROMIUM.exists(), "install Debian's chromium (make test does: apt-get install chromium)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        try:
            tab = browser.new_page(viewport={"width": 1400, "height": 1000})
            visit = Visit(tab, artifacts())
            tab.goto(dashboard_url)
            visit.settled()
            # The home folder holds the admin key; without --local it is not used.
            expect(tab.get_by_label("API key", exact=True)).to_be_visible()
            visit.shot("login")

            visit.log_in(console.predict_key)
            assert visit.navigation() == ["Overview", *SERVICES]
            visit.open("resumes")
            sections = tab.get_by_test_id("stButtonGroup").inner_text()
            assert "Try" in sections
            assert "Versions" not in sections
            visit.shot("predict-only-key")
            visit.click("Log out")
            expect(tab.get_by_label("API key", exact=True)).to_be_visible()

            visit.log_in(console.admin_key)
            assert visit.navigation() == ["Overview", *SERVICES, "Training", "Jobs",
                                          "Explore resumes", "API keys"]
            visit.shot("overview-admin")
            train_promote_and_roll_back(visit, console)
            for service in SERVICES:
                try_service(visit, service)
            for title, name in (("Jobs", "jobs"), ("API keys", "keys"),
                                ("Explore resumes", "explore")):
                visit.open(title)
                visit.shot(name)
        finally:
            browser.close()
    (artifacts() / "screenshots.txt").write_text("\n".join(visit.taken) + "\n")


def train_promote_and_roll_back(visit: Visit, console: Console) -> None:
    tab = visit.page
    with console.client() as client:  # AppTest tests share this server: count from now
        before = client.model("resumes")
    live, new = before.live, max(v.version for v in before.versions) + 1
    visit.open("Training")
    visit.choose("Service", "resumes")
    visit.choose("Model kind", "naive-bayes")
    tab.get_by_label("Name", exact=True).fill("baseline from the browser")
    tab.get_by_role("button", name="Train", exact=True).click()
    expect(tab.get_by_test_id("stProgress")).to_be_visible(timeout=30_000)
    tab.wait_for_timeout(1500)
    visit.shot("training-progress")
    # The job's end opens the new version on the service's Versions section.
    expect(tab.get_by_text(f"registered as version {new}")).to_be_visible(
        timeout=TRAINING_SECONDS * 1000)
    visit.settled()
    expect(tab.get_by_role("heading", name=f"Version {new}")).to_be_visible()
    visit.shot("trained-version")

    visit.click(f"Promote version {new}…")
    expect(tab.get_by_text(f"Make version {new} live in place of version {live}?")).to_be_visible()
    visit.shot("promote-confirmation")
    visit.click("Confirm promotion")
    expect(tab.get_by_text(f"version {new} of resumes is live")).to_be_visible()
    expect(tab.get_by_text(f"live: version {new}")).to_be_visible()
    visit.shot("promoted")
    visit.click("Roll back to the previous live version")
    expect(tab.get_by_text(f"rolled back: version {live} of resumes is live again")).to_be_visible()
    expect(tab.get_by_text(f"live: version {live}")).to_be_visible()
    visit.shot("rolled-back")


def try_service(visit: Visit, service: str) -> None:
    tab = visit.page
    visit.open(service)
    visit.section("Try")
    for send in tab.get_by_role("button", name="Send", exact=True).all():
        send.click()
        visit.settled()
    assert tab.get_by_test_id("stVegaLiteChart").count() >= 1, f"{service}: no chart"
    visit.shot(f"{service}-try")
    for section in ("Versions", "History", "Monitoring"):
        visit.section(section)
        visit.shot(f"{service}-{section.lower()}")
