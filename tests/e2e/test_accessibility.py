"""axe-core on every page, in both themes, and the structure a screen reader needs."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import (
    AXE_JS,
    add_movies_fast,
    csrf_from,
    make_share_link,
    register,
    route_exists,
    unique_email,
)
from tests.servers import require

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
BLOCKING = {"serious", "critical"}


@pytest.fixture(scope="session")
def axe_source() -> str:
    require(
        AXE_JS.exists(), f"no {AXE_JS.relative_to(AXE_JS.parents[2])}: run `make axe`"
    )
    return AXE_JS.read_text()


def axe_violations(page: Page, axe_source: str) -> list[str]:
    """Serious and critical axe violations on the page, one line each."""
    # Evaluated through the DevTools protocol, so the page's strict CSP still holds.
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source)
    results = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
    )
    assert results["passes"], "axe checked nothing"
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} at "
        + ", ".join(str(node["target"]) for node in violation["nodes"][:3])
        for violation in results["violations"]
        if violation["impact"] in BLOCKING
    ]


def structure_problems(page: Page, name: str) -> list[str]:
    """What axe does not insist on but the issue does."""
    problems = []
    if (count := page.locator("h1").count()) != 1:
        problems.append(f"{count} h1 elements")
    for role in ("banner", "main", "contentinfo"):
        if page.get_by_role(role).count() != 1:
            problems.append(f"no single {role} landmark")
    if page.get_by_role("navigation").count() < 1:
        problems.append("no navigation landmark")
    skip = page.locator("a.skip-link")
    if skip.get_attribute("href") != "#main" or page.locator("#main").count() != 1:
        problems.append("no skip link to #main")
    # The shared list is read-only for strangers: it has no flash messages at all.
    has_flashes = (
        page.locator("[role=alert]").count() == 1
        and page.locator("[role=status]").count()
    )
    if not has_flashes and name != "shared list":
        problems.append("no alert and status regions for flashes")
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('input, select, textarea')]
            .filter(el => el.type !== 'hidden' && !el.labels.length
                    && !el.getAttribute('aria-label'))
            .map(el => el.name)"""
    )
    if unlabelled:
        problems.append(f"controls without a label: {unlabelled}")
    return problems


def anonymous_pages(page: Page) -> list[str]:
    page.goto("/login")
    yield "login"
    page.get_by_label("Email").fill("ann@example.com")
    page.get_by_role("main").get_by_role("button", name="Log in").click()
    yield "login refused"
    page.goto("/register")
    yield "register"
    page.get_by_label("Email").fill("nope")
    page.get_by_role("main").get_by_role("button", name="Register").click()
    expect(page.get_by_label("Email")).to_have_attribute("aria-invalid", "true")
    yield "register refused"
    page.goto("/watched")
    yield "login wall"


def own_pages(page: Page) -> list[str]:
    register(page, unique_email("a11y"))
    yield "watchlist empty"
    page.goto("/watched")
    yield "watched empty"
    add_movies_fast(page, [(f"Film {n}", 1950 + n) for n in range(60)])
    page.goto("/")
    expect(page.get_by_role("navigation", name="Pages")).to_be_visible()
    yield "watchlist, many pages"
    first = page.locator("a.movie-title").first
    movie_id = re.search(r"\d+$", first.get_attribute("href"))[0]
    page.goto(f"/movies/{movie_id}")
    yield "movie unwatched"
    token = csrf_from(page)
    page.request.post(f"/movies/{movie_id}/watched", form={"csrf_token": token})
    page.request.post(
        f"/movies/{movie_id}/rating", form={"csrf_token": token, "rating": "3.5"}
    )
    page.goto(f"/movies/{movie_id}")
    yield "movie watched and rated"
    page.goto("/watched")
    yield "watched"
    page.goto("/?q=zzz")
    yield "watchlist, no match"
    page.goto("/account")
    yield "account"
    page.goto("/no/such/page")
    yield "error page"
    if route_exists(page, "/stats"):
        page.goto("/stats")
        yield "stats"
    if share_url := make_share_link(page):
        yield "account with a new share link"
        page.goto(share_url)
        yield "shared list"


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_every_page_passes_axe(page: Page, axe_source: str, theme: str) -> None:
    page.emulate_media(color_scheme=theme)
    found = {}
    for pages in (anonymous_pages(page), own_pages(page)):
        for name in pages:
            problems = axe_violations(page, axe_source) + structure_problems(page, name)
            if problems:
                found[name] = problems
    assert not found, "\n".join(f"{name}: {p}" for name, p in found.items())


def test_the_axe_check_does_catch_a_problem(page: Page, axe_source: str) -> None:
    """A control for the test above: faint text and an unlabelled field are caught."""
    page.goto("/login")
    page.evaluate(
        """() => {
            document.querySelector('.lead, .aside').style.color = '#ccc';
            document.querySelector('label[for=email]').remove();
        }"""
    )
    found = " ".join(axe_violations(page, axe_source))
    assert "color-contrast" in found
    assert "label" in found


# WCAG 1.4.11: the parts of a control one must see (empty stars, field borders,
# the focus ring) need 3:1 against what is behind them. axe checks only text.
NON_TEXT_CONTRAST = """() => {
    const rgb = c => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
    const lum = c => rgb(c).map(v => v / 255)
        .map(v => v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4)
        .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
    const ratio = (a, b) => {
        const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
        return (hi + 0.05) / (lo + 0.05);
    };
    const behind = el => {
        for (; el; el = el.parentElement) {
            const c = getComputedStyle(el).backgroundColor;
            if (!/rgba\\(.*, 0\\)$/.test(c)) return c;
        }
        return 'rgb(255, 255, 255)';
    };
    const empty = document.querySelector('.stars-rated .star:last-child label');
    const filled = document.querySelector('.stars-rated .star:first-child label');
    const field = document.querySelector('#q');
    const ring = getComputedStyle(document.documentElement).getPropertyValue('--focus');
    const probe = document.createElement('span');
    probe.style.color = ring;
    document.body.append(probe);
    const focus = getComputedStyle(probe).color;
    probe.remove();
    return {
        'empty star': ratio(getComputedStyle(empty).color, behind(empty)),
        'filled star': ratio(getComputedStyle(filled).color, behind(filled)),
        'field border': ratio(getComputedStyle(field).borderTopColor, behind(field)),
        'focus ring': ratio(focus, behind(document.body)),
    };
}"""


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_controls_stand_out_in_both_themes(page: Page, theme: str) -> None:
    page.emulate_media(color_scheme=theme)
    register(page, unique_email(f"contrast-{theme}"))
    add_movies_fast(page, [("Ran", 1985), ("Ikiru", 1952)])
    page.goto("/")
    token = csrf_from(page)
    for link in page.locator("a.movie-title").all():
        movie = link.get_attribute("href")
        page.request.post(f"{movie}/watched", form={"csrf_token": token})
    page.request.post(f"{movie}/rating", form={"csrf_token": token, "rating": "2"})
    page.goto("/watched")
    ratios = page.evaluate(NON_TEXT_CONTRAST)
    weak = {part: round(value, 2) for part, value in ratios.items() if value < 3}
    assert not weak, f"below 3:1 in the {theme} theme: {weak}"
