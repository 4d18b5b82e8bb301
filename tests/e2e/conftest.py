"""Browser fixtures: Debian's Chromium, the app as a real server, failure artifacts."""

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from tests.e2e.helpers import ARTIFACTS, CHROMIUM
from tests.servers import free_port, require, wait_until_up

expect.set_options(timeout=5_000)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session", autouse=True)
def _fresh_failure_artifacts() -> None:
    """Failure screenshots of an earlier run must not pass for this run's."""
    shutil.rmtree(ARTIFACTS / "failures", ignore_errors=True)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    """Debian's Chromium, never a browser downloaded by `playwright install`."""
    require(CHROMIUM.exists(), f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    return {**browser_context_args, "viewport": {"width": 1280, "height": 800}}


@contextmanager
def app_server(folder: Path, **settings: str) -> Iterator[str]:
    """`flask run` on a free loopback port with a fresh, migrated SQLite database."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{folder / 'flicklist.sqlite'}",
        "SECRET_KEY": "e2e-secret-key-not-for-production",
        "FLASK_RATELIMIT_ENABLED": "false",
        "FLASK_ARGON2_TIME_COST": "1",
        "FLASK_ARGON2_MEMORY_COST_KIB": "64",
        "FLASK_DEBUG": "0",
        "PYTHONUNBUFFERED": "1",
        **settings,
    }
    env.pop("TEST_DATABASE_URL", None)
    flask = [sys.executable, "-m", "flask", "--app", "flicklist"]
    subprocess.run([*flask, "db", "upgrade"], env=env, check=True, capture_output=True)
    port = free_port()
    log = folder / "server.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [*flask, "run", "--host", "127.0.0.1", "--port", str(port), "--no-reload"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{url}/healthz", server, log)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> Iterator[str]:
    """The app for the browser tests: rate limits off, cheap password hashes."""
    with app_server(tmp_path_factory.mktemp("live")) as url:
        yield url


@pytest.fixture
def rate_limited_server(tmp_path) -> Iterator[str]:
    """A second server, for the tests about rate limits: at most 3 failed logins."""
    settings = {"FLASK_RATELIMIT_ENABLED": "true", "FLASK_LOGIN_RATE_LIMIT": "3/minute"}
    with app_server(tmp_path, **settings) as url:
        yield url


@pytest.fixture(scope="session")
def base_url(live_server: str) -> str:
    """pytest-playwright resolves `page.goto("/login")` against the live server."""
    return live_server


@pytest.fixture
def context(context: BrowserContext) -> BrowserContext:
    """Fail in seconds, not pytest-playwright's 30, when something is missing."""
    context.set_default_timeout(5_000)
    return context


@pytest.fixture
def new_context(browser: Browser, browser_context_args: dict) -> Iterator:
    """Open more browser contexts (another device, JavaScript off) for one test."""
    contexts: list[BrowserContext] = []

    def make(**options) -> BrowserContext:
        context = browser.new_context(**{**browser_context_args, **options})
        context.set_default_timeout(5_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """On a failure, keep a screenshot and the HTML of every open page."""
    report = yield
    browser = getattr(item, "funcargs", {}).get("browser")
    if report.failed and report.when == "call" and browser is not None:
        save_artifacts(item.nodeid, browser)
    return report


def save_artifacts(nodeid: str, browser: Browser) -> None:
    name = re.sub(r"[^\w.-]+", "_", nodeid)[-120:]
    folder = ARTIFACTS / "failures" / name
    folder.mkdir(parents=True, exist_ok=True)
    pages = [page for context in browser.contexts for page in context.pages]
    for number, page in enumerate(pages, 1):
        try:
            page.screenshot(path=folder / f"page{number}.png", full_page=True)
            (folder / f"page{number}.html").write_text(page.content())
        except Exception as error:  # a closed page must not hide the real failure
            (folder / f"page{number}.txt").write_text(f"{page.url}: {error}")
