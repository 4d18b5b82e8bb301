"""`make bench`: FlickList beside a bare Flask app under the same gunicorn settings.

Both run with 2 sync workers on loopback, each on a fresh database. wrk loads them in
alternating runs (A B A B) so the ratio holds on a noisy machine. Prints one table and
writes it to bench/results.json. Run it as `python -m bench.run` from the repo root.
"""

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from bench.client import CSRF, Client
from bench.seed import PASSWORD, seed_user
from bench.wrk import WrkResult, run_wrk
from config import ProductionConfig
from flicklist import create_app
from flicklist.extensions import db
from tests.helpers import counting_queries
from tests.servers import ROOT, Gunicorn, free_port, rss_mib, worker_pids

SIZES = (50, 5_000, 50_000)
QUICK_SIZES = (50, 500, 5_000)
SECRET = "bench-secret-key-" + "x" * 32
# Both apps: 2 sync workers of one thread, whatever gunicorn.conf.py defaults to.
GUNICORN_OPTIONS = ("--workers", "2", "--worker-class", "sync", "--threads", "1")


def server_env(database_url: str) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("FLASK_") and key not in ("SECRET_KEY", "DATABASE_URL")
    }
    env.update(
        SECRET_KEY=SECRET,
        DATABASE_URL=database_url,
        # Plain http on loopback: the browser-facing cookies cannot be Secure here.
        FLASK_SESSION_COOKIE_SECURE="false",
        FLASK_REMEMBER_COOKIE_SECURE="false",
        FLASK_PROXY_FIX_HOPS="0",
        GUNICORN_LOG_LEVEL="warning",
    )
    return env


def gunicorn(app_path: str, env: dict) -> Gunicorn:
    """A gunicorn master with 2 sync workers on a free port.

    Both apps run under the project's gunicorn.conf.py, so FlickList pays for its
    request log as in production (its lines go to /dev/null here).
    """
    return Gunicorn(env, None, port=free_port(), app=app_path, options=GUNICORN_OPTIONS)


def max_worker_rss(master: subprocess.Popen) -> float:
    return max((rss_mib(pid) for pid in worker_pids(master)), default=0.0)


class PeakMemory:
    """Poll the workers' RSS while something runs; report the largest growth."""

    def __init__(self, master: subprocess.Popen):
        self.pids = worker_pids(master)
        self.before = {pid: rss_mib(pid) for pid in self.pids}
        self.peak = dict(self.before)
        self.running = True
        self.thread = threading.Thread(target=self.poll, daemon=True)

    def poll(self) -> None:
        while self.running:
            for pid in self.pids:
                self.peak[pid] = max(self.peak[pid], rss_mib(pid))
            time.sleep(0.01)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.running = False
        self.thread.join()

    @property
    def growth_mib(self) -> float:
        return max(self.peak[pid] - self.before[pid] for pid in self.pids)


@dataclass
class Scenario:
    """One request wrk repeats, and how to send it once to count its SQL."""

    name: str
    wrk: dict  # run_wrk's keyword arguments: path, and method, cookie, body, unique
    email: str | None = None  # logged in as, for the count; None: a new visitor
    form: dict | None = None  # the form the counted request posts; None: a GET

    @property
    def path(self) -> str:
        return self.wrk["path"]


def count_queries(database_url: str, email: str | None, scenarios: list[Scenario]):
    """SQL statements per request, counted in-process against the same database."""
    app = create_app(
        ProductionConfig,
        {
            "SECRET_KEY": SECRET,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SESSION_COOKIE_SECURE": False,
            "RATELIMIT_ENABLED": False,
            # The test client would otherwise speak https and need a Referer.
            "PREFERRED_URL_SCHEME": "http",
            # Count what a page costs to render; a cached list page makes only
            # the session query (tests/test_list_cache.py).
            "LIST_CACHE_ENTRIES": 0,
        },
    )
    client = app.test_client()
    if email:
        token = _token(client.get("/login").get_data(as_text=True))
        client.post(
            "/login", data={"csrf_token": token, "email": email, "password": PASSWORD}
        )
    counts = {}
    for scenario in scenarios:
        if not email:
            client = app.test_client()  # anonymous: a new visitor each time
        # Warm up: a first request may refresh the session's last-seen time.
        client.get(scenario.path)
        if scenario.form is None:
            with counting_queries(app) as statements:
                client.get(scenario.path)
        else:
            page = client.get("/" if email else "/login").get_data(as_text=True)
            data = {"csrf_token": _token(page), **scenario.form}
            with counting_queries(app) as statements:
                client.post(scenario.path, data=data)
        counts[scenario.name] = len(statements)
    with app.app_context():
        db.engine.dispose()
    return counts


def _token(html: str) -> str:
    return CSRF.search(html).group(1)


def ab_runs(flick_base: str, bare_base: str, rounds: int, seconds: int, **request):
    """Alternate bare Flask and FlickList runs; return both lists of results."""
    bare, flick = [], []
    for _ in range(rounds):
        bare.append(run_wrk(bare_base, "/", seconds=seconds))
        flick.append(run_wrk(flick_base, seconds=seconds, **request))
    return bare, flick


def summarise(
    name: str, bare: list[WrkResult], flick: list[WrkResult], extra: dict
) -> dict:
    bare_rps = sum(r.requests_per_second for r in bare) / len(bare)
    flick_rps = sum(r.requests_per_second for r in flick) / len(flick)
    return {
        "scenario": name,
        "requests_per_second": round(flick_rps, 1),
        "p50_ms": round(sorted(r.p50_ms for r in flick)[len(flick) // 2], 2),
        "p99_ms": round(max(r.p99_ms for r in flick), 2),
        "bare_flask_requests_per_second": round(bare_rps, 1),
        "ratio_to_bare_flask": round(flick_rps / bare_rps, 3),
        "failures": sum(r.failures for r in flick),
        **extra,
    }


def letterboxd_watchlist(rows: int) -> bytes:
    lines = ["Date,Name,Year,Letterboxd URI"]
    for number in range(rows):
        lines.append(
            f"2024-01-01,Imported film {number},{1950 + number % 75},https://boxd.it/{number}"
        )
    return ("\r\n".join(lines) + "\r\n").encode()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--seconds", type=int, default=8, help="length of one wrk run")
    parser.add_argument("--rounds", type=int, default=2, help="A B rounds per scenario")
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"lists of {QUICK_SIZES} movies and 3-second runs",
    )
    return parser.parse_args()


def seed_database(database_url: str, sizes: tuple[int, ...]) -> dict:
    """The schema by the release step, then the users; returns the argon2 settings."""
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "flicklist", "db", "upgrade"],
        env=server_env(database_url),
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    app = create_app(
        ProductionConfig,
        {"SECRET_KEY": SECRET, "SQLALCHEMY_DATABASE_URI": database_url},
    )
    started = time.perf_counter()
    with app.app_context():
        for size in sizes:
            seed_user(f"user{size}@bench.example", size, seed=size)
        seed_user("writer@bench.example", 0)
        seed_user("exporter@bench.example", sizes[-1], seed=7)
        seed_user("importer@bench.example", 0)
        db.engine.dispose()
    print(f"bench: seeded in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return {
        "time_cost": app.config["ARGON2_TIME_COST"],
        "memory_cost_kib": app.config["ARGON2_MEMORY_COST_KIB"],
        "parallelism": app.config["ARGON2_PARALLELISM"],
    }


def logged_in_cookie(base: str, email: str) -> str:
    client = Client(base)
    client.login(email, PASSWORD)
    # As a browser does after logging in: the first page stores the CSRF secret
    # in the session cookie, so later pages leave the cookie alone.
    client.request("GET", "/")
    return client.cookie_header()


def scenarios(base: str, sizes: tuple[int, ...]) -> list[Scenario]:
    """What wrk loads, each with the session cookie and CSRF token it needs."""
    largest = sizes[-1]
    cookies = {
        size: logged_in_cookie(base, f"user{size}@bench.example") for size in sizes
    }
    result = [Scenario("GET /login (anonymous)", {"path": "/login"})]
    for size in sizes:
        wrk = {"path": "/", "cookie": cookies[size]}
        email = f"user{size}@bench.example"
        result.append(Scenario(f"GET / ({size:,} movies)", wrk, email))
    wrk = {"path": "/watched", "cookie": cookies[largest]}
    email = f"user{largest}@bench.example"
    result.append(Scenario(f"GET /watched ({largest:,} movies)", wrk, email))

    writer = Client(base)
    writer.login("writer@bench.example", PASSWORD)
    body = urlencode({"csrf_token": writer.csrf("/"), "year": "2001"})
    wrk = {
        "method": "POST",
        "path": "/movies",
        "cookie": writer.cookie_header(),
        "unique": True,
        "body": body + "&title=Bench+{n}",
    }
    form = {"title": "Counted film", "year": "2001"}
    result.append(Scenario("POST /movies", wrk, "writer@bench.example", form))

    anonymous = Client(base)
    token = anonymous.csrf("/login")  # first: the page sets the session cookie
    form = {"email": "writer@bench.example", "password": PASSWORD}
    wrk = {
        "method": "POST",
        "path": "/login",
        "cookie": anonymous.cookie_header(),
        "body": urlencode({"csrf_token": token, **form}),
    }
    result.append(Scenario("POST /login", wrk, None, form))
    return result


def queries_per_request(database_url: str, loads: list[Scenario]) -> dict:
    by_email: dict[str | None, list[Scenario]] = {}
    for scenario in loads:
        by_email.setdefault(scenario.email, []).append(scenario)
    counts = {}
    for email, group in by_email.items():
        counts.update(count_queries(database_url, email, group))
    return counts


def load(
    flick: Gunicorn,
    bare: Gunicorn,
    loads: list[Scenario],
    rounds: int,
    seconds: int,
    queries: dict[str, int],
    argon2: dict,
) -> list[dict]:
    """wrk on every scenario, alternating with the bare app; one result each."""
    results = []
    for scenario in loads:
        bare_runs, flick_runs = ab_runs(
            flick.url, bare.url, rounds, seconds, **scenario.wrk
        )
        details = {
            "sql_queries_per_request": queries.get(scenario.name),
            "worker_rss_mib": round(max_worker_rss(flick.process), 1),
        }
        if scenario.name == "POST /login":
            rps = sum(r.requests_per_second for r in flick_runs) / len(flick_runs)
            details["logins_per_second_per_worker"] = round(rps / 2, 1)
            details["argon2"] = argon2
        results.append(summarise(scenario.name, bare_runs, flick_runs, details))
        print(
            f"bench: {scenario.name}: {results[-1]['requests_per_second']} req/s",
            file=sys.stderr,
        )
    return results


def export_and_import(flick: Gunicorn, largest: int) -> list[dict]:
    """One large export (its time and the worker's memory growth), one import."""
    exporter = Client(flick.url)
    exporter.login("exporter@bench.example", PASSWORD)
    with PeakMemory(flick.process) as memory:
        started = time.perf_counter()
        status, body = exporter.request("GET", "/export.csv")
        export_seconds = time.perf_counter() - started
    exported = {
        "scenario": f"GET /export.csv ({largest:,} movies)",
        "status": status,
        "seconds": round(export_seconds, 3),
        "bytes": len(body),
        "worker_memory_growth_mib": round(memory.growth_mib, 1),
    }
    importer = Client(flick.url)
    importer.login("importer@bench.example", PASSWORD)
    started = time.perf_counter()
    status, _ = importer.post_file(
        "/import", "file", "watchlist.csv", letterboxd_watchlist(10_000), "/"
    )
    imported = {
        "scenario": "POST /import (10,000 rows)",
        "status": status,
        "seconds": round(time.perf_counter() - started, 3),
    }
    return [exported, imported]


def write_report(results: list[dict], seconds: int, rounds: int) -> None:
    report = {
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "settings": {
            "workers": 2,
            "worker_class": "sync",
            "wrk": f"-t2 -c16 -d{seconds}s",
            "rounds": rounds,
            "database": "SQLite (WAL)",
        },
        "results": results,
    }
    (ROOT / "bench" / "results.json").write_text(json.dumps(report, indent=2))


def main() -> int:
    args = parse_args()
    if shutil.which("wrk") is None:
        print("bench: wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2
    sizes = QUICK_SIZES if args.quick else SIZES
    seconds = 3 if args.quick else args.seconds
    tmp = Path(tempfile.mkdtemp(prefix="flicklist-bench-"))
    try:
        database_url = f"sqlite:///{tmp}/flicklist.sqlite"
        argon2 = seed_database(database_url, sizes)
        (tmp / "bare").mkdir()
        bare_env = server_env(f"sqlite:///{tmp}/bare/x.sqlite")
        with (
            gunicorn("wsgi:app", server_env(database_url)) as flick,
            gunicorn("bench.bare_app:app", bare_env) as bare,
        ):
            loads = scenarios(flick.url, sizes)
            queries = queries_per_request(database_url, loads)
            results = load(flick, bare, loads, args.rounds, seconds, queries, argon2)
            results += export_and_import(flick, sizes[-1])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    write_report(results, seconds, args.rounds)
    print_table(results)
    return 0


COLUMNS = (
    ("scenario", "scenario", "<34", ""),
    ("requests_per_second", "req/s", ">8", ".1f"),
    ("p50_ms", "p50 ms", ">7", ".2f"),
    ("p99_ms", "p99 ms", ">7", ".2f"),
    ("ratio_to_bare_flask", "x bare", ">7", ".3f"),
    ("sql_queries_per_request", "SQL/req", ">7", ""),
    ("worker_rss_mib", "RSS MiB", ">8", ".1f"),
)


def print_table(results: list[dict]) -> None:
    header = " ".join(f"{title:{align}}" for _, title, align, _ in COLUMNS)
    print(header)
    print("-" * len(header))
    for row in results:
        if "requests_per_second" not in row:
            detail = ", ".join(f"{k}={v}" for k, v in row.items() if k != "scenario")
            print(f"{row['scenario']:34} {detail}")
            continue
        cells = []
        for key, _, align, number in COLUMNS:
            value = row.get(key)
            text = "-" if value is None else format(value, number)
            cells.append(f"{text:{align}}")
        print(" ".join(cells))
    for row in results:
        if "logins_per_second_per_worker" in row:
            print(
                f"\nPOST /login: {row['logins_per_second_per_worker']} logins/s "
                f"per worker with argon2id {row['argon2']}"
            )


if __name__ == "__main__":
    raise SystemExit(main())
