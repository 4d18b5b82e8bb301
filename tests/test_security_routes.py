"""Every rule in app.url_map, as a visitor, as the owner and as another user.

The rules are read from the app, so a route added later without the login wall or
without the ownership check fails here. Public routes are the contract's list.
Ownership and the login wall are tested here, and only here.
"""

import itertools
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from werkzeug.routing import Rule

from tests.helpers import (
    PASSWORD,
    AuthActions,
    create_user,
    csrf_token,
    flash_text,
    seed,
    snapshot,
)

PUBLIC_ENDPOINTS = {
    "static",
    "auth.login",
    "auth.register",
    "public.healthz",
    "public.favicon",
}
PUBLIC_PREFIXES = ("/share/",)
# The contract's public pages: each answers 200 without a login.
PUBLIC_PAGES = ["/login", "/register", "/healthz", "/static/style.css", "/favicon.ico"]
OWNED_ARGUMENTS = ("movie_id", "viewing_id")
OTHER_ARGUMENTS = {"filename": "style.css", "token": "no-such-token"}
ANN_TITLE = "Ann's very private title"
# Valid values for every field a form may have: an unprotected route would act.
FORM_DATA = {
    "title": "Written by someone else",
    "year": "2001",
    "date": "2020-02-02",
    "rating": "1",
    "note": "Written by someone else",
    "include_watchlist": "y",
}


def is_public(rule: Rule) -> bool:
    return rule.endpoint in PUBLIC_ENDPOINTS or rule.rule.startswith(PUBLIC_PREFIXES)


def rules(app: Flask) -> list[tuple[Rule, str]]:
    found = []
    for rule in app.url_map.iter_rules():
        unknown = rule.arguments - set(OWNED_ARGUMENTS) - set(OTHER_ARGUMENTS)
        assert not unknown, f"{rule.rule}: teach this test the arguments {unknown}"
        found += [(rule, method) for method in sorted(rule.methods & {"GET", "POST"})]
    return found


def path_for(app: Flask, rule: Rule, values: dict) -> str:
    with app.test_request_context():
        arguments = {name: values[name] for name in rule.arguments}
        return app.url_for(rule.endpoint, **arguments)


def request(client, method: str, path: str):
    """GET, or POST valid data with a token; the body is read and the file closed."""
    if method == "GET":
        response = client.get(path)
    else:
        token = csrf_token(client)
        response = client.post(path, data={"csrf_token": token, **FORM_DATA})
    response.get_data()
    response.close()
    # Every answer, error or not, public or not, carries the browser protections.
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"]
    return response


@pytest.fixture
def people(app, password_hash) -> dict:
    ann = create_user(app, "ann@example.com", password_hash)
    bob = create_user(app, "bob@example.com", password_hash)
    return {"ann": ann, "bob": bob, "ann_ids": seed(app, ann, ANN_TITLE)}


def logged_in_as(app: Flask, email: str):
    client = app.test_client()
    assert AuthActions(client).login(email).status_code == 303
    return client


def test_anonymous_visitors_meet_the_wall_except_on_public_routes(app, people):
    values = people["ann_ids"] | OTHER_ARGUMENTS
    before = snapshot(app, people["ann"])
    for rule, method in rules(app):
        client = app.test_client()
        path = path_for(app, rule, values)
        response = request(client, method, path)
        label = f"{method} {rule.rule}"
        assert response.status_code < 500, label
        if is_public(rule):
            assert not response.headers.get("Location", "").startswith("/login?"), label
            continue
        assert response.status_code == 302, label
        location = urlsplit(response.headers["Location"])
        assert location.path == "/login", label
        if method == "GET":
            assert parse_qs(location.query)["next"] == [path], label
        # The login page says why the visitor is there.
        page = client.get(response.headers["Location"])
        assert "log in" in flash_text(page).lower(), label
    assert snapshot(app, people["ann"]) == before


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_pages_need_no_login(client, path):
    with client.get(path) as response:
        assert response.status_code == 200


def test_after_logging_in_the_visitor_lands_where_they_were_going(client, user_id):
    location = client.get("/watched?sort=title").headers["Location"]
    response = client.post(
        location,
        data={
            "csrf_token": csrf_token(client, location),
            "email": "ann@example.com",
            "password": PASSWORD,
        },
    )
    assert response.headers["Location"] == "/watched?sort=title"


def test_the_owner_reaches_every_route(app, people):
    for rule, method in rules(app):
        label = f"{method} {rule.rule}"
        # A fresh login and fresh data each time: some routes log out or delete.
        client = logged_in_as(app, "ann@example.com")
        values = seed(app, people["ann"], f"Owner's {method} {rule.rule}")
        response = request(
            client, method, path_for(app, rule, values | OTHER_ARGUMENTS)
        )
        assert response.status_code < 500, label
        assert response.status_code != 404 or is_public(rule), label
        assert not response.headers.get("Location", "").startswith("/login?"), label
        if method == "GET" and not is_public(rule):
            assert response.status_code == 200, label
            assert response.headers["Cache-Control"] == "no-store", label
            if response.mimetype == "text/html":
                assert 'action="/logout"' in response.get_data(as_text=True), label


def test_another_user_gets_404_on_every_route_with_the_owners_ids(app, people):
    bob_ids = seed(app, people["bob"], "Bob's own film")
    ann_ids = people["ann_ids"]
    bob = logged_in_as(app, "bob@example.com")
    before = snapshot(app, people["ann"])
    checked = 0
    for rule, method in rules(app):
        owned = [name for name in OWNED_ARGUMENTS if name in rule.arguments]
        if not owned:
            continue
        # Every mix of Ann's and Bob's ids, as long as one of them is Ann's.
        for owners in itertools.product(("ann", "bob"), repeat=len(owned)):
            if "ann" not in owners:
                continue
            values = dict(OTHER_ARGUMENTS)
            for name, owner in zip(owned, owners, strict=True):
                values[name] = (ann_ids if owner == "ann" else bob_ids)[name]
            response = request(bob, method, path_for(app, rule, values))
            label = f"{method} {rule.rule} {owners}"
            assert response.status_code == 404, label
            body = response.get_data(as_text=True)
            assert ANN_TITLE not in body and "ann@example.com" not in body, label
            checked += 1
    assert checked >= 8
    assert snapshot(app, people["ann"]) == before


def test_another_user_never_sees_the_owners_data(app, people):
    bob = logged_in_as(app, "bob@example.com")
    values = seed(app, people["bob"], "Bob's own film") | OTHER_ARGUMENTS
    for rule, method in rules(app):
        if method != "GET":
            continue
        response = request(bob, method, path_for(app, rule, values))
        body = response.get_data(as_text=True)
        assert response.status_code < 500, rule.rule
        assert ANN_TITLE not in body and "ann@example.com" not in body, rule.rule
