"""`make bench`: FlickList beside a bare Flask app under the same gunicorn settings.

Both run with 2 sync workers on loopback, each on a fresh database. wrk loads them in
alternating runs (A B A B) so the ratio holds on a noisy machine. Prints one table and
writes it to bench/results.json.
"""

import argparse
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.client import CSRF, Client  # noqa: E402
from bench.seed import PASSWORD, seed_user  # noqa: E402
from bench.wrk import WrkResult, run_wrk  # noqa: E402
from config import ProductionConfig  # noqa: E402
from flicklist import create_app  # noqa: E402
from flicklist.extensions import db  # noqa: E402

SIZES = (50, 5_000, 50_000)
SECRET = "bench-secret-key-" + "x" * 32


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
    )
    return env


@contextmanager
def gunicorn(app_path: str, port: int, env: dict):
    """A gunicorn master with 2 sync workers; yields its process.

    Both apps run under the project's gunicorn.conf.py, so FlickList pays for its
    request log as in production (its lines go to /dev/null here).
    """
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        app_path,
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "2",
        "--worker-class",
        "sync",
        "--threads",
        "1",
        "--chdir",
        str(ROOT),
    ]
    process = subprocess.Popen(
        command,
        env={**env, "GUNICORN_LOG_LEVEL": "warning"},
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/", process)
        yield process
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def wait_until_up(url: str, process: subprocess.Popen) -> None:
    client = Client(url.rstrip("/"))
    for _ in range(200):
        if process.poll() is not None:
            raise RuntimeError(f"server for {url} exited with {process.returncode}")
        try:
            client.request("GET", "/")
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server for {url} did not start")


def worker_pids(master: subprocess.Popen) -> list[int]:
    children = Path(f"/proc/{master.pid}/task/{master.pid}/children")
    return [int(pid) for pid in children.read_text().split()]


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


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


def count_queries(database_url: str, email: str, requests: list[tuple[str, str, dict]]):
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
    counts = {}
    statements = []

    def record(_conn, _cursor, statement, *_args) -> None:
        # Transaction control (BEGIN) is not a query.
        if not statement.lstrip().upper().startswith("BEGIN"):
            statements.append(statement)

    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", record)
    token = _token(client.get("/login").get_data(as_text=True))
    if email:
        client.post(
            "/login", data={"csrf_token": token, "email": email, "password": PASSWORD}
        )
    for name, path, form in requests:
        if not email:
            client = app.test_client()  # anonymous: a new visitor each time
        client.get(
            path
        )  # warm: a first request may refresh the session's last-seen time
        if form is None:
            statements.clear()
            client.get(path)
        else:
            page = client.get("/" if email else "/login").get_data(as_text=True)
            statements.clear()
            client.post(path, data={"csrf_token": _token(page), **form})
        counts[name] = len(statements)
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=8, help="length of one wrk run")
    parser.add_argument("--rounds", type=int, default=2, help="A B rounds per scenario")
    parser.add_argument("--quick", action="store_true", help="small sizes, short runs")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("bench: wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2
    sizes = (50, 500, 5_000) if args.quick else SIZES
    seconds = 3 if args.quick else args.seconds

    tmp = Path(tempfile.mkdtemp(prefix="flicklist-bench-"))
    database_url = f"sqlite:///{tmp}/flicklist.sqlite"
    env = server_env(database_url)
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "flicklist", "db", "upgrade"],
        env=env,
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
        argon2 = {
            "time_cost": app.config["ARGON2_TIME_COST"],
            "memory_cost_kib": app.config["ARGON2_MEMORY_COST_KIB"],
            "parallelism": app.config["ARGON2_PARALLELISM"],
        }
        db.engine.dispose()
    print(f"bench: seeded in {time.perf_counter() - started:.1f} s", file=sys.stderr)

    bare_db = tmp / "bare"
    bare_db.mkdir()
    flick_port, bare_port = free_port(), free_port()
    flick_base, bare_base = (
        f"http://127.0.0.1:{flick_port}",
        f"http://127.0.0.1:{bare_port}",
    )
    results = []
    with (
        gunicorn("wsgi:app", flick_port, env) as flick,
        gunicorn(
            "bench.bare_app:app", bare_port, server_env(f"sqlite:///{bare_db}/x.sqlite")
        ),
    ):
        cookies = {}
        for size in sizes:
            client = Client(flick_base)
            client.login(f"user{size}@bench.example", PASSWORD)
            # As a browser does after logging in: the first page stores the CSRF
            # secret in the session cookie, so later pages leave the cookie alone.
            client.request("GET", "/")
            cookies[size] = client.cookie_header()
        writer = Client(flick_base)
        writer.login("writer@bench.example", PASSWORD)
        writer_token = writer.csrf("/")
        anonymous = Client(flick_base)
        login_token = anonymous.csrf("/login")

        largest = sizes[-1]
        scenarios = [
            ("GET /login (anonymous)", {"path": "/login"}, None, "/login", None)
        ]
        for size in sizes:
            scenarios.append(
                (
                    f"GET / ({size:,} movies)",
                    {"path": "/", "cookie": cookies[size]},
                    f"user{size}@bench.example",
                    "/",
                    None,
                )
            )
        scenarios.append(
            (
                f"GET /watched ({largest:,} movies)",
                {"path": "/watched", "cookie": cookies[largest]},
                f"user{largest}@bench.example",
                "/watched",
                None,
            )
        )
        scenarios.append(
            (
                "POST /movies",
                {
                    "method": "POST",
                    "path": "/movies",
                    "cookie": writer.cookie_header(),
                    "unique": True,
                    "body": urlencode({"csrf_token": writer_token, "year": "2001"})
                    + "&title=Bench+{n}",
                },
                "writer@bench.example",
                "/movies",
                {"title": "Counted film", "year": "2001"},
            )
        )
        scenarios.append(
            (
                "POST /login",
                {
                    "method": "POST",
                    "path": "/login",
                    "cookie": anonymous.cookie_header(),
                    "body": urlencode(
                        {
                            "csrf_token": login_token,
                            "email": "writer@bench.example",
                            "password": PASSWORD,
                        }
                    ),
                },
                "",
                "/login",
                {"email": "writer@bench.example", "password": PASSWORD},
            )
        )

        by_email: dict[str, list] = {}
        for name, _, email, path, form in scenarios:
            by_email.setdefault(email or "", []).append((name, path, form))
        queries = {}
        for email, requests in by_email.items():
            queries.update(count_queries(database_url, email or "", requests))

        for name, request, *_ in scenarios:
            bare, flick_runs = ab_runs(
                flick_base, bare_base, args.rounds, seconds, **request
            )
            extra = {
                "sql_queries_per_request": queries.get(name),
                "worker_rss_mib": round(max_worker_rss(flick), 1),
            }
            if name == "POST /login":
                extra["logins_per_second_per_worker"] = round(
                    sum(r.requests_per_second for r in flick_runs)
                    / len(flick_runs)
                    / 2,
                    1,
                )
                extra["argon2"] = argon2
            results.append(summarise(name, bare, flick_runs, extra))
            print(
                f"bench: {name}: {results[-1]['requests_per_second']} req/s",
                file=sys.stderr,
            )

        exporter = Client(flick_base)
        exporter.login("exporter@bench.example", PASSWORD)
        with PeakMemory(flick) as memory:
            started = time.perf_counter()
            status, body = exporter.request("GET", "/export.csv")
            export_seconds = time.perf_counter() - started
        results.append(
            {
                "scenario": f"GET /export.csv ({largest:,} movies)",
                "status": status,
                "seconds": round(export_seconds, 3),
                "bytes": len(body),
                "worker_memory_growth_mib": round(memory.growth_mib, 1),
            }
        )
        importer = Client(flick_base)
        importer.login("importer@bench.example", PASSWORD)
        started = time.perf_counter()
        status, _ = importer.post_file(
            "/import", "file", "watchlist.csv", letterboxd_watchlist(10_000), "/"
        )
        results.append(
            {
                "scenario": "POST /import (10,000 rows)",
                "status": status,
                "seconds": round(time.perf_counter() - started, 3),
            }
        )

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
            "rounds": args.rounds,
            "database": "SQLite (WAL)",
        },
        "results": results,
    }
    (ROOT / "bench" / "results.json").write_text(json.dumps(report, indent=2))
    print_table(results)
    shutil.rmtree(tmp, ignore_errors=True)
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
