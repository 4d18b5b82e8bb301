"""Every main page at phone and desktop width, light and dark: no sideways scrolling,
and a screenshot of each kept under test-artifacts/screens/ to look at."""

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import (
    ARTIFACTS,
    add_movies_fast,
    csrf_from,
    make_share_link,
    register,
    route_exists,
    unique_email,
)

SIZES = {"phone": (375, 800), "desktop": (1280, 800)}
# The ends of the range the layout is made for, checked at the same time.
EXTREMES = {"phone": 360, "desktop": 1440}
MOVIES = [
    ("The Shawshank Redemption", 1994),
    ("Spirited Away", 2001),
    ("Portrait of a Lady on Fire", 2019),
    ("Dr. Strangelove or: How I Learned to Stop Worrying and Love the Bomb", 1964),
    ("Cléo de 5 à 7", 1962),
    ("Paddington 2", 2017),
    ("A film whose title has no year", None),
    ("Unbreakable" * 18, 2000),  # one long word must wrap, not widen the page
]


def sideways_overflow(page: Page) -> int:
    return page.evaluate(
        "() => document.documentElement.scrollWidth - "
        "document.documentElement.clientWidth"
    )


def check_and_keep(page: Page, name: str, size: str, theme: str) -> None:
    """No horizontal scrollbar at this size or the extreme beyond it, and a
    full-page screenshot."""
    page.wait_for_load_state()
    width, height = SIZES[size]
    page.set_viewport_size({"width": EXTREMES[size], "height": height})
    overflow = sideways_overflow(page)
    assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at {EXTREMES[size]}"
    page.set_viewport_size({"width": width, "height": height})
    overflow = sideways_overflow(page)
    assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at {width}"
    path = ARTIFACTS / "screens" / f"{name}-{size}-{theme}.png"
    page.screenshot(path=path, full_page=True)


def movie_ids(page: Page) -> list[str]:
    hrefs = page.locator("a.movie-title").evaluate_all("els => els.map(a => a.href)")
    return [href.rstrip("/").rsplit("/", 1)[-1] for href in hrefs]


def watch_and_rate(page: Page, ids: list[str], ratings: list[str]) -> None:
    """Cross movies off and rate some, through the real server."""
    token = csrf_from(page)
    for movie_id, rating in zip(ids, ratings, strict=False):
        page.request.post(
            f"/movies/{movie_id}/watched", form={"csrf_token": token}, max_redirects=0
        )
        if rating:
            page.request.post(
                f"/movies/{movie_id}/rating",
                form={"csrf_token": token, "rating": rating},
                max_redirects=0,
            )


@pytest.mark.parametrize("theme", ["light", "dark", "forced-colors"])
@pytest.mark.parametrize("size", list(SIZES))
def test_main_pages_fit_and_are_kept(page: Page, size: str, theme: str) -> None:
    width, height = SIZES[size]
    page.set_viewport_size({"width": width, "height": height})
    if theme == "forced-colors":  # Windows' high-contrast modes
        page.emulate_media(forced_colors="active")
    else:
        page.emulate_media(color_scheme=theme)

    page.goto("/login")
    check_and_keep(page, "login", size, theme)
    page.goto("/register")
    page.get_by_label("Email").fill("not an email")
    page.get_by_label("Password", exact=True).fill("short")
    page.get_by_role("main").get_by_role("button", name="Register").click()
    expect(page.locator(".flash-error").first).to_be_visible()
    check_and_keep(page, "register-refused", size, theme)

    register(page, unique_email(f"layout-{size}-{theme}"))
    check_and_keep(page, "watchlist-empty", size, theme)
    page.goto("/watched")
    check_and_keep(page, "watched-empty", size, theme)

    add_movies_fast(page, MOVIES)
    page.goto("/")
    ids = movie_ids(page)
    watch_and_rate(page, ids[:4], ["4.5", "", "3"])
    page.goto("/")  # shows (and so clears) the flashes of those requests
    page.goto("/?sort=title")
    check_and_keep(page, "watchlist", size, theme)
    page.goto("/watched")
    check_and_keep(page, "watched", size, theme)
    page.goto(f"/movies/{ids[0]}")
    check_and_keep(page, "movie", size, theme)
    page.goto(f"/movies/{ids[-1]}")
    check_and_keep(page, "movie-unwatched", size, theme)
    if route_exists(page, "/stats"):
        page.goto("/stats")
        check_and_keep(page, "stats", size, theme)
    page.goto("/account")
    check_and_keep(page, "account", size, theme)
    if share_url := make_share_link(page):
        page.goto(share_url)
        check_and_keep(page, "shared-list", size, theme)
    page.goto("/no-such-page")
    check_and_keep(page, "error-404", size, theme)
