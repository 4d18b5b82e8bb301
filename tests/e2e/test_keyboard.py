"""Keyboard only: every control reachable by Tab, focus always visible, no trap,
and the journey done with Tab, Shift+Tab, Enter, Space (and arrows inside the stars)."""

import re

from playwright.sync_api import Page, expect

from tests.e2e.helpers import (
    PASSWORD,
    add_movies_fast,
    listed_titles,
    unique_email,
)

NEW_PASSWORD = "keyboard only passphrase"

# The focused element, described the way a person would name it, and whether its
# focus can be seen: an outline or ring on it, on its label, or on its star row.
FOCUSED = """() => {
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    const shows = e => {
        if (!e) return false;
        const s = getComputedStyle(e);
        return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2)
            || s.boxShadow !== 'none';
    };
    const label = el.labels && el.labels.length ? el.labels[0].innerText : '';
    const name = el.getAttribute('aria-label') || label || el.innerText || el.value;
    return {
        index: el.dataset.e2eIndex || null,
        tag: el.tagName.toLowerCase(),
        name: (name || '').replace(/\\s+/g, ' ').trim(),
        visible: [el, el.labels && el.labels[0], el.closest('.stars-row')].some(shows),
    };
}"""

# Number every control a Tab should reach (one radio per group), in document order.
TABBABLE = """() => {
    const all = [...document.querySelectorAll(
        'a[href], button, input:not([type=hidden]), select, textarea, [tabindex]')]
        .filter(el => !el.disabled && el.tabIndex >= 0 && el.getClientRects().length);
    const seen = new Set();
    const stops = all.filter(el => {
        if (el.type !== 'radio') return true;
        if (seen.has(el.name)) return false;
        seen.add(el.name);
        return true;
    });
    stops.forEach((el, i) => { el.dataset.e2eIndex = String(i); });
    // The radio Tab reaches is the checked one of its group, else the first.
    for (const el of all.filter(e => e.type === 'radio' && e.checked)) {
        const first = stops.find(s => s.type === 'radio' && s.name === el.name);
        el.dataset.e2eIndex = first.dataset.e2eIndex;
        if (first !== el) delete first.dataset.e2eIndex;
    }
    return stops.length;
}"""


def press(page: Page, key: str) -> dict | None:
    page.keyboard.press(key)
    focused = page.evaluate(FOCUSED)
    if focused is not None:
        assert focused["visible"], f"focus cannot be seen on {focused}"
    return focused


def go(page: Page, key: str = "Enter") -> None:
    """Press a key that follows a link or submits a form, and wait for the page."""
    with page.expect_navigation():
        page.keyboard.press(key)


def walk(page: Page, key: str, count: int) -> list[str]:
    """Press Tab or Shift+Tab; the controls visited, in order, once each."""
    visited: list[str] = []
    for _ in range(count * 4 + 10):
        focused = press(page, key)
        if focused is None or focused["index"] is None:
            if visited:
                break
            continue
        if visited and focused["index"] == visited[0]:
            break  # wrapped round: focus goes on, it is not trapped
        if not visited or visited[-1] != focused["index"]:
            visited.append(focused["index"])
    return visited


def check_every_stop(page: Page, where: str) -> None:
    count = page.evaluate(TABBABLE)
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    forward = walk(page, "Tab", count)
    assert forward == [str(i) for i in range(count)], f"Tab order on {where}"
    backward = walk(page, "Shift+Tab", count)
    assert backward == forward[::-1], f"Shift+Tab order on {where}"


def tab_to(page: Page, name: str | re.Pattern, key: str = "Tab") -> None:
    """Move focus by Tab (or Shift+Tab) alone until the named control has it."""
    seen = []
    for _ in range(400):
        focused = press(page, key)
        label = focused["name"] if focused else ""
        seen.append(label)
        if re.fullmatch(name, label) if isinstance(name, re.Pattern) else label == name:
            return
    raise AssertionError(f"{name!r} is not reachable by {key}; saw {seen[:40]}")


def type_into(page: Page, name: str, text: str) -> None:
    tab_to(page, name)
    page.keyboard.type(text)


def test_every_control_is_reachable_with_visible_focus(page: Page) -> None:
    page.goto("/login")
    check_every_stop(page, "login")
    page.goto("/register")
    check_every_stop(page, "register")
    type_into(page, "Email", unique_email("tabs"))
    type_into(page, "Password", PASSWORD)
    type_into(page, "Verify password", PASSWORD)
    go(page)
    expect(page.locator(".flash-success")).to_be_visible()
    add_movies_fast(page, [(f"Tab stop {n}", 1950 + n) for n in range(52)])
    page.goto("/?page=2")
    check_every_stop(page, "watchlist, page 2")
    page.goto("/")
    expect(page.get_by_role("navigation", name="Pages")).to_be_visible()
    check_every_stop(page, "watchlist")
    movie = page.locator("a.movie-title").first.get_attribute("href")
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    page.request.post(f"{movie}/watched", form={"csrf_token": token})
    page.goto("/watched")
    check_every_stop(page, "watched")
    page.goto(movie)
    check_every_stop(page, "movie")
    page.goto("/account")
    check_every_stop(page, "account")


def test_skip_link_goes_to_the_content(page: Page) -> None:
    page.goto("/login")
    focused = press(page, "Tab")
    assert focused["name"] == "Skip to content"
    expect(page.locator(".skip-link")).to_be_in_viewport()
    go(page)
    assert press(page, "Tab")["name"] == "Email"


def test_the_journey_by_keyboard_alone(page: Page) -> None:
    email = unique_email("keys")
    page.goto("/register")
    type_into(page, "Email", email)
    type_into(page, "Password", PASSWORD)
    type_into(page, "Verify password", PASSWORD + "?")
    tab_to(page, "Password", key="Shift+Tab")
    tab_to(page, "Verify password")
    go(page)
    expect(page.locator(".flash-error")).to_contain_text("match")
    type_into(page, "Password", PASSWORD)
    type_into(page, "Verify password", PASSWORD)
    tab_to(page, "Register")  # the button; the nav link comes before the form
    go(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Watchlist")

    tab_to(page, "Log out")
    go(page, "Space")
    expect(page).to_have_url(re.compile(r"/login$"))
    page.goto("/watched")
    type_into(page, "Email", email)
    type_into(page, "Password", PASSWORD)
    go(page)
    expect(page).to_have_url(re.compile(r"/watched$"))

    page.goto("/")
    for title, year in [("Alien", "1979"), ("Heat", "1995"), ("Up", "2009")]:
        type_into(page, "Title", title)
        type_into(page, "Year", year)
        go(page)
        expect(page.locator(".flash-success")).to_contain_text(title)
    tab_to(page, re.compile(r"Watched ?: Heat"))
    go(page, "Space")
    expect(page.locator(".flash-success")).to_contain_text("Crossed Heat off")
    tab_to(page, re.compile(r"Delete ?: Up"))
    go(page)
    expect(page.locator(".flash-success")).to_contain_text("Deleted Up")
    assert listed_titles(page) == ["Alien"]

    tab_to(page, "Watched")
    go(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Watched")
    tab_to(page, "0.5 stars")  # Tab enters the group; arrows choose within it
    for _ in range(7):
        page.keyboard.press("ArrowRight")
    expect(page.get_by_label("4 stars", exact=True)).to_be_checked()
    tab_to(page, re.compile(r"Rate ?: Heat"))
    go(page)
    expect(page.locator(".flash-success")).to_contain_text("Rated Heat 4 out of 5")
    tab_to(page, re.compile(r"Put back ?: Heat"))
    go(page, "Space")
    expect(page.locator(".flash-success")).to_contain_text("Put Heat back")

    tab_to(page, "Search")
    page.keyboard.type("hea")
    go(page)
    expect(page.locator(".empty")).to_be_visible()  # Heat is off the watched list now
    tab_to(page, "Watchlist")
    go(page)
    type_into(page, "Search", "hea")
    go(page)
    assert listed_titles(page) == ["Heat"]
    add_movies_fast(page, [(f"Keyed {n:02}", 1950 + n) for n in range(50)])
    page.goto("/?sort=title")
    tab_to(page, re.compile(r"Next page\W*"))
    go(page)
    expect(page).to_have_url(re.compile(r"page=2"))
    assert listed_titles(page) == ["Keyed 48", "Keyed 49"]
    tab_to(page, re.compile(r"\W*Previous page"))
    go(page)
    type_into(page, "Search", "hea")
    go(page)
    tab_to(page, "Heat")
    go(page)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Heat")
    type_into(page, "Note", "Best heist film.")
    tab_to(page, "Save note")
    go(page)
    expect(page.locator(".note")).to_have_text("Best heist film.")

    tab_to(page, "Account")
    go(page)
    type_into(page, "Current password", PASSWORD)
    type_into(page, "New password", NEW_PASSWORD)
    type_into(page, "Verify new password", NEW_PASSWORD)
    go(page)
    expect(page.locator(".flash-success")).to_contain_text("password has been changed")
    type_into(page, "Password", NEW_PASSWORD)
    tab_to(page, "Delete my account")
    go(page)
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.locator(".flash-success")).to_contain_text("deleted")
