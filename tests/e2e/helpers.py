"""Helpers shared by the browser tests."""

import os
import re
import time
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

from tests.helpers import PASSWORD
from tests.servers import require

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"


def unique_email(label: str) -> str:
    return f"{label}-{time.monotonic_ns()}@example.com"


def flash_texts(page: Page) -> list[str]:
    return page.locator(".flash").all_inner_texts()


def register(page: Page, email: str, password: str = PASSWORD) -> None:
    page.goto("/register")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("Verify password").fill(password)
    page.get_by_role("main").get_by_role("button", name="Register").click()
    expect(page.locator(".flash-success")).to_be_visible()


def log_in(page: Page, email: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("main").get_by_role("button", name="Log in").click()


def csrf_from(page: Page) -> str:
    return page.locator("input[name=csrf_token]").first.get_attribute("value")


def add_movies_fast(page: Page, titles: list[tuple[str, int | None]]) -> None:
    """Add many movies through the real server with the page's cookies (no UI)."""
    page.goto("/")
    token = csrf_from(page)
    for title, year in titles:
        response = page.request.post(
            "/movies",
            form={"csrf_token": token, "title": title, "year": str(year or "")},
            max_redirects=0,
        )
        assert response.status in {302, 303}, response.status
        assert response.headers["location"] == "/", response.headers["location"]
    page.goto("/")  # shows the flashes those requests left: none may be an error
    assert not page.locator(".flash-error").all_inner_texts()


def route_exists(page: Page, path: str) -> bool:
    """Other issues add some routes; their journey steps wait until they exist."""
    return page.request.get(path, max_redirects=0).status != 404


def need_route(page: Page, path: str) -> None:
    require(
        route_exists(page, path), f"{path} answers 404 (its feature is not merged yet)"
    )


def add_movie(page: Page, title: str, year: int | str | None = None) -> None:
    """Add a movie through the add form on the watchlist, as a person would."""
    if not page.url.endswith("/") or "?" in page.url:
        page.goto("/")
    page.get_by_label("Title").fill(title)
    page.get_by_label("Year").fill(str(year or ""))
    page.get_by_role("button", name="Add to watchlist").click()


def listed_titles(page: Page) -> list[str]:
    return page.locator("a.movie-title").all_inner_texts()


def rate(page: Page, title: str, stars: str) -> None:
    """Choose a star on a movie's rating control on the watched list and save it."""
    group = page.get_by_role("group", name=f"Rating for {title}")
    label = "1 star" if stars == "1" else f"{stars} stars"
    group.get_by_label(label, exact=True).check()
    movie_button(page, "Rate", title).click()


def expect_flash(page: Page, text: str, category: str = "success") -> None:
    expect(page.locator(f".flash-{category}").filter(has_text=text)).to_be_visible()


def movie_button(page: Page, action: str, title: str) -> Locator:
    """A row's button, e.g. "Watched: Heat" (Chromium may read it "Watched : Heat")."""
    name = re.compile(rf"^{re.escape(action)} ?: {re.escape(title)}$")
    return page.get_by_role("button", name=name)


def make_share_link(page: Page, include_watchlist: bool = True) -> str | None:
    """Create a share link on the account page; None while that feature is missing."""
    if not route_exists(page, "/account/share"):
        return None
    page.goto("/account")
    if include_watchlist:
        page.get_by_label("Include my watchlist").check()
    page.locator("form[action$='/account/share']").get_by_role("button").click()
    return page.locator("#share-url").input_value()
