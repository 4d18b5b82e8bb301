"""The rate limit on failed logins, met in a browser: the site's own 429 page."""

from playwright.sync_api import Page, expect

from tests.e2e.helpers import ARTIFACTS, unique_email


def test_too_many_failed_logins_get_a_clear_page(page: Page, rate_limited_server):
    email = unique_email("limited")
    for _ in range(3):
        page.goto(f"{rate_limited_server}/login")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password", exact=True).fill("not the password")
        page.get_by_role("main").get_by_role("button", name="Log in").click()
        expect(page.locator(".flash-error")).to_contain_text(
            "Invalid email or password."
        )
    page.get_by_label("Password", exact=True).fill("not the password")
    with page.expect_response(
        lambda response: response.request.method == "POST"
    ) as info:
        page.get_by_role("main").get_by_role("button", name="Log in").click()
    assert info.value.status == 429
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.locator("main")).to_contain_text("429")
    assert "Traceback" not in page.content()
    page.screenshot(path=ARTIFACTS / "screens" / "error-429-desktop-light.png")
