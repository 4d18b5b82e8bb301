"""FlickList with JavaScript turned off: plain forms and links do everything."""

import re

from playwright.sync_api import expect

from tests.e2e.helpers import (
    PASSWORD,
    add_movie,
    expect_flash,
    listed_titles,
    log_in,
    movie_button,
    rate,
    register,
    unique_email,
)


def test_everything_works_without_javascript(new_context) -> None:
    page = new_context(java_script_enabled=False).new_page()
    assert page.evaluate("1 + 1") == 2  # Playwright's own evaluation still works
    email = unique_email("nojs")
    register(page, email)
    add_movie(page, "Metropolis", 1927)
    add_movie(page, "Nosferatu", 1922)
    expect_flash(page, "Added Nosferatu")
    movie_button(page, "Watched", "Metropolis").click()
    expect_flash(page, "Crossed Metropolis off")
    page.get_by_role("link", name="Watched", exact=True).click()
    rate(page, "Metropolis", "3.5")
    expect_flash(page, "Rated Metropolis 3.5")
    expect(page.get_by_label("3.5 stars", exact=True)).to_be_checked()

    page.get_by_role("link", name="Metropolis").click()
    page.get_by_label("Note").fill("Silent, and loud about it.")
    page.get_by_role("button", name="Save note").click()
    expect(page.locator(".note")).to_have_text("Silent, and loud about it.")
    page.get_by_label("Date watched").fill("2020-02-29")
    page.get_by_role("button", name="Watched again").click()
    expect(page.locator(".viewings")).to_contain_text("2020-02-29")

    page.goto("/?sort=title")
    assert listed_titles(page) == ["Nosferatu"]
    movie_button(page, "Delete", "Nosferatu").click()
    expect_flash(page, "Deleted Nosferatu")
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    log_in(page, email, PASSWORD)
    expect_flash(page, "logged in")
