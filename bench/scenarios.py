"""The loads the benchmark puts on FlickList, each with the target it must meet."""

from dataclasses import dataclass, field
from urllib.parse import urlencode

import sqlalchemy as sa

from bench.client import Client
from bench.seed import PASSWORD
from bench.stack import Accounts, bench_app, session_cookies
from bench.wrk import Request
from flicklist.extensions import db
from flicklist.models import Movie

P99_MS = 50.0  # at 16 connections, for every page and write with a target
CACHED, MISS = "cached", "miss"  # the server a scenario loads: list cache on or off


@dataclass(frozen=True)
class Target:
    """The least ratio to bare Flask (per database) and the largest p99."""

    ratio: dict[str, float]
    p99_ms: float | None = P99_MS

    def describe(self, backend: str) -> str:
        text = f">={self.ratio[backend]:.2f}"
        return text + (f", p99<={self.p99_ms:.0f}" if self.p99_ms else "")

    def met(self, backend: str, ratio: float, p99_ms: float) -> bool:
        return ratio >= self.ratio[backend] and (
            self.p99_ms is None or p99_ms <= self.p99_ms
        )


def both(ratio: float, p99_ms: float | None = P99_MS) -> Target:
    return Target({"sqlite": ratio, "postgresql": ratio}, p99_ms)


CACHED_LIST = both(0.30)
MISSED_LIST = both(0.20)
WRITE = Target({"sqlite": 0.15, "postgresql": 0.20})
SPREAD = both(0.15)


@dataclass
class Scenario:
    """Requests wrk cycles through on one server, and what they must reach."""

    key: str
    name: str
    requests: list[Request]
    server: str = CACHED
    target: Target | None = None
    # Statements per request, counted in-process on the first request.
    queries: int | None = field(default=None)


def movie_ids(database_url: str, user_id: int) -> list[int]:
    app = bench_app(database_url)
    with app.app_context():
        ids = list(
            db.session.scalars(
                sa.select(Movie.id).where(Movie.user_id == user_id).order_by(Movie.id)
            )
        )
        db.engine.dispose()
    return ids


def form_poster(base: str, email: str) -> tuple[str, str]:
    """A real login's cookie and the CSRF token its forms carry."""
    client = Client(base)
    client.login(email, PASSWORD)
    token = client.csrf("/")  # the first page stores the CSRF secret in the session
    return client.cookie_header(), token


def build_scenarios(
    base: str, database_url: str, accounts: Accounts, ids: dict[str, int]
) -> list[Scenario]:
    sized = {size: ids[Accounts.sized(size)] for size in accounts.sizes}
    logins = session_cookies(database_url, list(sized.values()))
    cookies = dict(zip(sized, logins, strict=True))
    largest = accounts.sizes[-1]
    scenarios = [Scenario("login-page", "GET /login (anonymous)", [Request("/login")])]
    for size in accounts.sizes:
        request = Request("/", cookie=cookies[size])
        scenarios.append(
            Scenario(
                f"list-{size}",
                f"GET / ({size:,} movies)",
                [request],
                CACHED,
                CACHED_LIST,
            )
        )
    for size in accounts.sizes:
        request = Request("/", cookie=cookies[size])
        name = f"GET / ({size:,} movies, cache miss)"
        scenarios.append(
            Scenario(f"list-miss-{size}", name, [request], MISS, MISSED_LIST)
        )
    request = Request("/watched?sort=rating", cookie=cookies[largest])
    name = f"GET /watched ({largest:,}, by rating, miss)"
    scenarios.append(Scenario("watched-miss", name, [request], MISS, MISSED_LIST))

    spread_ids = [ids[Accounts.spread(n)] for n in range(accounts.many)]
    spread = [Request("/", cookie=c) for c in session_cookies(database_url, spread_ids)]
    name = f"GET / ({accounts.many:,} accounts x {accounts.many_movies})"
    scenarios.append(Scenario("spread", name, spread, CACHED, SPREAD))

    cookie, token = form_poster(base, Accounts.WRITER)
    body = urlencode({"csrf_token": token, "year": "2001"}) + "&title=Bench+{n}"
    add = Request("/movies", "POST", cookie, body)
    scenarios.append(Scenario("add", "POST /movies (add)", [add], MISS, WRITE))

    cookie, token = form_poster(base, Accounts.MARKER)
    body = urlencode({"csrf_token": token, "date": "2024-05-01"})
    marks = [
        Request(f"/movies/{movie}/watched", "POST", cookie, body)
        for movie in movie_ids(database_url, ids[Accounts.MARKER])
    ]
    name = "POST /movies/<id>/watched"
    scenarios.append(Scenario("watched", name, marks, MISS, WRITE))

    cookie, token = form_poster(base, Accounts.RATER)
    rates = [
        Request(
            f"/movies/{movie}/rating",
            "POST",
            cookie,
            urlencode({"csrf_token": token, "rating": str(1 + number % 5)}),
        )
        for number, movie in enumerate(movie_ids(database_url, ids[Accounts.RATER]))
    ]
    scenarios.append(Scenario("rate", "POST /movies/<id>/rating", rates, MISS, WRITE))

    anonymous = Client(base)
    token = anonymous.csrf("/login")  # first: the page sets the session cookie
    form = {"csrf_token": token, "email": Accounts.WRITER, "password": PASSWORD}
    login = Request("/login", "POST", anonymous.cookie_header(), urlencode(form))
    scenarios.append(Scenario("login", "POST /login (argon2id)", [login]))
    return scenarios
