"""The portal in a real browser: build the site of a program kept in a real Git repository, serve it
on 127.0.0.1 and drive headless Debian Chromium through Selenium and chromedriver.

Screenshots of the dashboard, a policy page and a control page go to test-artifacts/ (ignored by Git).
The `browser` fixture (tests/conftest.py) finds Chromium and chromedriver, installs them as root on
Debian when they are missing, and otherwise skips these tests with one line saying why; in CI (`CI`
or SOC2KIT_REQUIRE_BROWSER set, as .ci/run does) they fail instead of skipping.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import Browser, make_program, skip_without_browser

from soc2kit.site.portal import load_portal

skip_without_browser()

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "test-artifacts"
TODAY = "2026-05-15"
WAIT = 20  # seconds, for any one page or search result to appear

MKDOCS_YML = f"""\
site_name: Test Co policy portal
repo_url: https://github.com/example/compliance
edit_uri: edit/main/docs/
theme:
  name: material
  features: [navigation.tabs, navigation.instant, navigation.indexes, navigation.prune, search.suggest, content.action.edit]
  palette:
    - scheme: default
      toggle: {{icon: material/weather-night, name: Switch to dark mode}}
    - scheme: slate
      toggle: {{icon: material/weather-sunny, name: Switch to light mode}}
plugins:
  - search
  - soc2kit:
      today: "{TODAY}"
"""

AUTHOR = {"name": "Alice Auditor", "email": "alice@example.com"}
REVIEWER = {"name": "Bob Builder", "email": "bob@example.com"}


def git(root: Path, *args: str, when: str, who: dict[str, str]) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": who["name"],
        "GIT_AUTHOR_EMAIL": who["email"],
        "GIT_COMMITTER_NAME": who["name"],
        "GIT_COMMITTER_EMAIL": who["email"],
        "GIT_AUTHOR_DATE": f"{when}T10:00:00+00:00",
        "GIT_COMMITTER_DATE": f"{when}T10:00:00+00:00",
    }
    subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)


@dataclass
class Served:
    root: Path
    url: str
    driver: Any


@pytest.fixture(scope="module")
def site(browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    root = tmp_path_factory.mktemp("browser") / "program"
    program = make_program(root)
    program.write("mkdocs.yml", MKDOCS_YML)
    (root / "docs").mkdir()
    git(root, "init", "-q", "-b", "main", when="2026-01-05", who=AUTHOR)
    git(root, "add", "-A", "--", ".", ":!evidence", when="2026-01-05", who=AUTHOR)
    git(root, "commit", "-q", "-m", "Start the SOC 2 program", when="2026-01-05", who=AUTHOR)
    program.replace(
        "policies/information-security.md", "1. Access must be reviewed quarterly.", "1. Access must be reviewed every quarter."
    )
    git(root, "commit", "-q", "-am", "Clarify the access review statement (#12)", when="2026-02-10", who=REVIEWER)
    # Evidence arrives on the day it was collected: committed earlier, Git would show it dated after its commit.
    git(root, "add", "-A", "evidence", when="2026-04-02", who=AUTHOR)
    git(root, "commit", "-q", "-m", "Q1 evidence", when="2026-04-02", who=AUTHOR)

    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(root / "site")],
        cwd=root,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert built.returncode == 0, built.stderr

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(root / "site")))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    options = webdriver.ChromeOptions()
    options.binary_location = browser.chromium
    for argument in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1400,1000",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(browser.chromedriver), options=options)
    driver.set_page_load_timeout(WAIT)
    try:
        yield Served(root, f"http://127.0.0.1:{server.server_address[1]}/", driver)
    finally:
        driver.quit()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def screenshot(served: Served, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    ignore = ARTIFACTS / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# Screenshots written by tests/test_browser.py; never committed.\n*\n", encoding="utf-8")
    path = ARTIFACTS / f"{name}.png"
    height = served.driver.execute_script("return document.documentElement.scrollHeight")
    served.driver.set_window_size(1400, min(max(int(height), 1000), 3000))
    assert served.driver.save_screenshot(str(path))
    served.driver.set_window_size(1400, 1000)
    return path


def open_page(served: Served, path: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    served.driver.get(served.url + path)
    WebDriverWait(served.driver, WAIT).until(ec.presence_of_element_located((By.CSS_SELECTOR, "article h1")))


def test_dashboard_shows_the_readiness_numbers(site: Served) -> None:
    from datetime import date

    from selenium.webdriver.common.by import By

    portal = load_portal(site.root, today=date.fromisoformat(TODAY), use_cache=False)
    readiness = portal.readiness
    summary = readiness.summary()
    open_page(site, "")
    metrics = {e.get_attribute("data-metric"): e.text for e in site.driver.find_elements(By.CSS_SELECTOR, "[data-metric]")}
    tallies = {e.get_attribute("data-tally"): e.text for e in site.driver.find_elements(By.CSS_SELECTOR, "[data-tally]")}
    assert metrics["score"] == f"{readiness.score.value:g}%"
    assert metrics["criteria-ready"] == f"{readiness.score.ready}/{readiness.score.total}"
    assert metrics["controls-ready"] == f"{summary['controls']['ready']}/{summary['controls']['in_scope']}"
    assert metrics["windows"] == f"{summary['windows']['satisfied']}/{summary['windows']['expected']}"
    assert metrics["policies-approved"] == "1/1"
    assert metrics["errors"] == "0"
    # Q1 evidence is in, Q2 is still open on 2026-05-15: every control is ready so far.
    assert (readiness.score.value, summary["windows"]["satisfied"], summary["windows"]["open"]) == (100.0, 9, 9)
    for tally in readiness.categories:
        assert tallies[f"category-{tally.id}"] == f"{tally.ready}/{tally.total}"
    for tally in readiness.series:
        assert tallies[f"series-{tally.id}"] == f"{tally.ready}/{tally.total}"
    assert "Test Platform: SOC 2 Type II readiness" in site.driver.page_source
    screenshot(site, "dashboard")


def test_policy_page_shows_its_revision_history_from_git(site: Served) -> None:
    from selenium.webdriver.common.by import By

    open_page(site, "policies/POL-ISP/")
    table = site.driver.find_element(By.ID, "revision-history").find_element(By.XPATH, "following::table[1]")
    rows = [
        [cell.text for cell in row.find_elements(By.TAG_NAME, "td")] for row in table.find_elements(By.CSS_SELECTOR, "tbody tr")
    ]
    assert rows[0][:3] == ["2026-02-10", "Bob Builder", "#12"]
    assert "Clarify the access review statement" in rows[0][3]
    assert rows[1][:2] == ["2026-01-05", "Alice Auditor"]
    link = table.find_element(By.LINK_TEXT, "#12")
    assert link.get_attribute("href") == "https://github.com/example/compliance/pull/12"
    screenshot(site, "policy")


def test_a_link_from_a_control_reaches_its_criterion(site: Served) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    open_page(site, "controls/TC-01/")
    screenshot(site, "control")
    criteria = site.driver.find_element(By.ID, "criteria").find_element(By.XPATH, "following::table[1]")
    criteria.find_element(By.LINK_TEXT, "CC1.1").click()
    WebDriverWait(site.driver, WAIT).until(ec.url_matches(r"/criteria/CC1\.1/$"))
    WebDriverWait(site.driver, WAIT).until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, "article h1"), "CC1.1"))
    # ... and the criterion page links back to the control.
    assert site.driver.find_element(By.LINK_TEXT, "TC-01").get_attribute("href").endswith("/controls/TC-01/")


def test_search_finds_a_policy(site: Served) -> None:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    open_page(site, "")
    box = site.driver.find_element(By.CSS_SELECTOR, "input.md-search__input")
    WebDriverWait(site.driver, WAIT).until(lambda _driver: box.is_displayed())
    box.click()
    box.send_keys("Information Security")
    box.send_keys(Keys.SPACE)

    def first_policy_hit(driver: Any) -> str | None:
        # The result list is re-rendered while the query settles: read it in one go, retry when stale.
        try:
            for item in driver.find_elements(By.CSS_SELECTOR, ".md-search-result__item"):
                title = re.sub(r"\s+", " ", item.find_element(By.TAG_NAME, "h1").text)
                if title == "Information Security Policy":
                    return str(item.find_element(By.TAG_NAME, "a").get_attribute("href"))
        except StaleElementReferenceException:
            return None
        return None

    href = WebDriverWait(site.driver, WAIT).until(first_policy_hit)
    assert href.endswith("/policies/POL-ISP/")


def test_screenshots_are_real_images(site: Served) -> None:
    del site
    shots = sorted(ARTIFACTS.glob("*.png"))
    assert {p.stem for p in shots} >= {"dashboard", "policy", "control"}
    for shot in shots:
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert shot.stat().st_size > 20_000  # a rendered page, not a blank one
    assert shutil.which("git")


def test_hostile_program_values_run_no_script_in_pages_or_search(site: Served, tmp_path: Path) -> None:
    from selenium.common.exceptions import NoAlertPresentException, UnexpectedAlertPresentException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait
    from test_site import _hostile_program, commit_all, mkdocs, with_site

    program = make_program(tmp_path / "program")
    _hostile_program(program)
    commit_all(program.root, "Start <img src=x onerror=alert('subject')> [x](javascript:alert(1))", "2026-01-05")
    with_site(program)
    built = mkdocs(program.root)
    assert built.returncode == 0, built.stderr

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(program.root / "site")))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    hostile = Served(program.root, f"http://127.0.0.1:{server.server_address[1]}/", site.driver)

    def alert_shown() -> str | None:
        try:
            alert = site.driver.switch_to.alert
        except NoAlertPresentException:
            return None
        text = alert.text
        alert.accept()
        return text

    try:
        shown = {}
        for page in (
            "",
            "policies/",
            "policies/POL-ISP/",
            "controls/",
            "controls/TC-01/",
            "evidence/2026-03/",
            "changes/",
            "findings/",
        ):
            try:
                open_page(hostile, page)
                site.driver.execute_script("return document.title")
            except UnexpectedAlertPresentException as exc:
                shown[page] = exc.alert_text
            if (text := alert_shown()) is not None:
                shown[page] = text
        assert shown == {}
        box = site.driver.find_element(By.CSS_SELECTOR, "input.md-search__input")
        box.click()
        box.send_keys("alert")
        box.send_keys(Keys.SPACE)
        try:
            results = WebDriverWait(site.driver, WAIT).until(
                lambda driver: driver.find_elements(By.CSS_SELECTOR, ".md-search-result__item")
            )
        except UnexpectedAlertPresentException as exc:
            pytest.fail(f"a search result ran a script: alert({exc.alert_text!r})")
        assert results  # the hostile text is found, and shown as text
        assert alert_shown() is None
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
