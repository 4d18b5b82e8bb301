"""`make bench`: FlickList beside a bare Flask app under the same gunicorn settings,
on SQLite and, when it answers, on PostgreSQL.

Each server has 2 sync workers on loopback. wrk loads FlickList and bare Flask in
alternating runs (A B A B) so the ratio holds on a noisy machine. Every scenario has
its target (a ratio to bare Flask and a p99); the table says which are met. Prints one
table and writes it to bench/results.json. Run it as `python -m bench.run` from the
repository root; `--quick` runs smaller lists for a first look.
"""

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from bench.client import USER_AGENT, Client
from bench.imports import IMPORT_ACCOUNTS, measure_imports, measure_write_lock
from bench.scenarios import MISS, Scenario, build_scenarios
from bench.seed import PASSWORD
from bench.stack import (
    LIST_CACHE_OFF,
    POSTGRESQL_URL,
    Accounts,
    PeakMemory,
    bench_app,
    gunicorn,
    max_worker_rss,
    postgresql_answers,
    reset_database,
    seed_database,
)
from bench.wrk import Request, WrkResult, run_wrk
from flicklist.extensions import db
from tests.helpers import counting_queries
from tests.servers import ROOT

# Imports (each over HTTP, and the write transaction in-process) must finish in this.
IMPORT_SECONDS_MAX = 2.0

FULL = Accounts(sizes=(50, 5_000, 50_000), many=1_000, extra=IMPORT_ACCOUNTS)
QUICK = Accounts(sizes=(50, 500, 5_000), many=100, extra=IMPORT_ACCOUNTS)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--seconds", type=int, default=8, help="length of one wrk run")
    parser.add_argument("--rounds", type=int, default=2, help="A B rounds per scenario")
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"lists of {QUICK.sizes} movies, {QUICK.many} accounts, 3-second runs",
    )
    parser.add_argument(
        "--database",
        choices=("sqlite", "postgresql", "both"),
        default="both",
        help="PostgreSQL only when it answers at BENCH_POSTGRESQL_URL",
    )
    parser.add_argument("--only", help="run only the scenarios whose key contains this")
    return parser.parse_args()


def count_queries(database_url: str, scenario: Scenario) -> int:
    """SQL statements of the scenario's first request, sent again in-process."""
    settings = {"RATELIMIT_ENABLED": False}
    if scenario.server == MISS:
        settings["LIST_CACHE_ENTRIES"] = 0
    app = bench_app(database_url, **settings)
    client = app.test_client(use_cookies=False)
    request: Request = scenario.requests[0]
    headers = {"User-Agent": USER_AGENT}
    if request.cookie:
        headers["Cookie"] = request.cookie
    options = {"headers": headers, "environ_base": {"REMOTE_ADDR": "127.0.0.1"}}
    if request.body:
        options["content_type"] = "application/x-www-form-urlencoded"

    def send(number: int):
        body = request.body.replace("{n}", f"counted-{number}")
        return client.open(request.path, method=request.method, data=body, **options)

    # Warm up: the first request may refresh the session's last-seen time or fill
    # the list cache; the count is of a request like the ones wrk sends.
    send(1)
    with counting_queries(app) as statements:
        response = send(2)
    # A page must be the page, a form must be taken: a redirect to /login or a
    # refused form would be fast for the wrong reason.
    expected = 200 if request.method == "GET" else 303
    location = response.headers.get("Location", "")
    if response.status_code not in (expected, 302) or (
        "/login" in location and (request.path != "/login")
    ):
        raise RuntimeError(
            f"{scenario.name}: {response.status_code} {location} instead of {expected}"
        )
    with app.app_context():
        db.engine.dispose()
    return len(statements)


def summarise(
    scenario: Scenario, backend: str, bare: list[WrkResult], flick: list[WrkResult]
) -> dict:
    bare_rps = sum(r.requests_per_second for r in bare) / len(bare)
    flick_rps = sum(r.requests_per_second for r in flick) / len(flick)
    ratio = flick_rps / bare_rps
    p99 = max(r.p99_ms for r in flick)
    row = {
        "scenario": scenario.name,
        "requests_per_second": round(flick_rps, 1),
        "p50_ms": round(sorted(r.p50_ms for r in flick)[len(flick) // 2], 2),
        "p99_ms": round(p99, 2),
        "bare_flask_requests_per_second": round(bare_rps, 1),
        "ratio_to_bare_flask": round(ratio, 3),
        "failures": sum(r.failures for r in flick),
        "sql_queries_per_request": scenario.queries,
    }
    if scenario.target is not None:
        row["target"] = scenario.target.describe(backend)
        row["met"] = scenario.target.met(backend, ratio, p99) and not row["failures"]
    return row


def load(servers: dict, bare, scenario: Scenario, backend: str, args) -> dict:
    """wrk on one scenario, alternating with the bare app."""
    bare_runs, flick_runs = [], []
    for _ in range(args.rounds):
        bare_runs.append(run_wrk(bare.url, [Request("/")], seconds=args.seconds))
        flick_runs.append(
            run_wrk(
                servers[scenario.server].url, scenario.requests, seconds=args.seconds
            )
        )
    row = summarise(scenario, backend, bare_runs, flick_runs)
    row["worker_rss_mib"] = round(max_worker_rss(servers[scenario.server].process), 1)
    print(
        f"bench: {backend}: {scenario.name}: {row['requests_per_second']} req/s, "
        f"x{row['ratio_to_bare_flask']}, p99 {row['p99_ms']} ms",
        file=sys.stderr,
    )
    return row


def export(base: str, process, largest: int) -> dict:
    """One large export: its time and the worker's memory growth."""
    exporter = Client(base)
    exporter.login(Accounts.sized(largest), PASSWORD)
    with PeakMemory(process) as memory:
        started = time.perf_counter()
        status, body = exporter.request("GET", "/export.csv")
        seconds = time.perf_counter() - started
    return {
        "scenario": f"GET /export.csv ({largest:,} movies)",
        "status": status,
        "seconds": round(seconds, 3),
        "bytes": len(body),
        "worker_memory_growth_mib": round(memory.growth_mib, 1),
    }


# The import cases with a target: the Letterboxd files count together.
TIMED_IMPORTS = (
    "FlickList rows",
    "watched.csv + diary.csv",
    "export .zip",
    "write transaction",
)


def timed_imports(base: str, server, database_url: str) -> list[dict]:
    """The imports over HTTP, then the write transaction of a 100,000-row diary."""
    rows = [*measure_imports(base, server), measure_write_lock(database_url)]
    for row in rows:
        if any(part in row["scenario"] for part in TIMED_IMPORTS):
            row["target"] = f"<{IMPORT_SECONDS_MAX:g} s"
            answered = row.get("status", 303) in (302, 303)
            row["met"] = answered and row["seconds"] < IMPORT_SECONDS_MAX
    return rows


def bench_database(backend: str, database_url: str, accounts: Accounts, args) -> list:
    reset_database(database_url)
    ids = seed_database(database_url, accounts)
    with (
        gunicorn(database_url) as cached,
        gunicorn(database_url, **LIST_CACHE_OFF) as missed,
        gunicorn(database_url, app="bench.bare_app:app") as bare,
    ):
        servers = {"cached": cached, MISS: missed}
        scenarios = build_scenarios(cached.url, database_url, accounts, ids)
        if args.only:
            scenarios = [s for s in scenarios if args.only in s.key]
        rows = []
        for scenario in scenarios:
            scenario.queries = count_queries(database_url, scenario)
            rows.append(load(servers, bare, scenario, backend, args))
        if not args.only:
            rows += timed_imports(cached.url, cached.process, database_url)
            rows.append(export(cached.url, cached.process, accounts.sizes[-1]))
    for row in rows:
        row["database"] = backend
    return rows


def write_report(results: list[dict], args, databases: list[str]) -> None:
    report = {
        "date": date.today().isoformat(),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "settings": {
            "workers": 2,
            "worker_class": "sync",
            "wrk": f"-t2 -c16 -d{args.seconds}s",
            "rounds": args.rounds,
            "databases": databases,
        },
        "results": results,
    }
    (ROOT / "bench" / "results.json").write_text(json.dumps(report, indent=2))


def main() -> int:
    args = parse_args()
    if shutil.which("wrk") is None:
        print("bench: wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2
    accounts = QUICK if args.quick else FULL
    if args.quick:
        args.seconds, args.rounds = 3, 1
    databases = []
    tmp = Path(tempfile.mkdtemp(prefix="flicklist-bench-"))
    results = []
    try:
        if args.database in ("sqlite", "both"):
            databases.append(("sqlite", f"sqlite:///{tmp}/flicklist.sqlite"))
        if args.database in ("postgresql", "both"):
            if postgresql_answers():
                databases.append(("postgresql", POSTGRESQL_URL))
            else:
                print(f"bench: no PostgreSQL at {POSTGRESQL_URL}", file=sys.stderr)
        for backend, url in databases:
            results += bench_database(backend, url, accounts, args)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    write_report(results, args, [backend for backend, _ in databases])
    backends = [backend for backend, _ in databases]
    print(format_table(results, backends))
    (ROOT / "bench" / "results.md").write_text(markdown_table(results, backends))
    return 0 if all(row.get("met", True) for row in results) else 1


def memory_growth(row: dict) -> str:
    """A worker's memory growth, where a row measured it."""
    growth = row.get("worker_memory_growth_mib")
    return "" if growth is None else f", +{growth:g} MiB"


def format_table(results: list[dict], backends: list[str]) -> str:
    """One row per scenario, the databases side by side."""
    by_scenario: dict[str, dict[str, dict]] = {}
    for row in results:
        by_scenario.setdefault(row["scenario"], {})[row["database"]] = row
    width = max(len(name) for name in by_scenario) if by_scenario else 20
    header = f"{'scenario':{width}}"
    for backend in backends:
        header += (
            f" | {backend + ': x bare':>16} {'p99 ms':>7} {'SQL':>3} {'target':>16}"
        )
    lines = [header, "-" * len(header)]
    for name, rows in by_scenario.items():
        line = f"{name:{width}}"
        for backend in backends:
            row = rows.get(backend)
            if row is None:
                line += f" | {'':>16} {'':>7} {'':>3} {'':>16}"
            elif "ratio_to_bare_flask" in row:
                mark = {True: " ok", False: " NO", None: ""}[row.get("met")]
                queries = row["sql_queries_per_request"]
                line += (
                    f" | {row['requests_per_second']:>7.0f} req/s"
                    f" {row['ratio_to_bare_flask']:>4.2f}"
                    f" {row['p99_ms']:>7.1f} {'-' if queries is None else queries:>3}"
                    f" {row.get('target', '') + mark:>16}"
                )
            else:
                seconds = f"{row['seconds']:.2f} s ({row.get('status', 'in-process')})"
                seconds += memory_growth(row)
                mark = {True: " ok", False: " NO", None: ""}[row.get("met")]
                extra = f"{row.get('target', '')}{mark}"
                line += f" | {seconds:>16} {'':>7} {'':>3} {extra:>16}"
        lines.append(line)
    return "\n".join(lines)


def markdown_table(results: list[dict], backends: list[str]) -> str:
    """The table for the README: ratio to bare Flask, p99 and SQL per database,
    then each target and where it is met."""
    by_scenario: dict[str, dict[str, dict]] = {}
    for row in results:
        by_scenario.setdefault(row["scenario"], {})[row["database"]] = row
    columns = " | ".join(f"{b} req/s | x bare | p99 ms | SQL" for b in backends)
    lines = [
        f"| scenario | {columns} | target | met |",
        "| --- |" + " ---: | ---: | ---: | ---: |" * len(backends) + " --- | --- |",
    ]
    for name, rows in by_scenario.items():
        cells, targets, met = [], {}, []
        for backend in backends:
            row = rows.get(backend, {})
            if "ratio_to_bare_flask" in row:
                queries = row["sql_queries_per_request"]
                cells += [
                    f"{row['requests_per_second']:.0f}",
                    f"{row['ratio_to_bare_flask']:.2f}",
                    f"{row['p99_ms']:.1f}",
                    "-" if queries is None else str(queries),
                ]
            elif row:
                cells += [f"{row['seconds']:.2f} s{memory_growth(row)}", "", "", ""]
            else:
                cells += ["", "", "", ""]
            if "target" in row:
                targets.setdefault(row["target"], []).append(backend)
                met.append(f"{backend} {'yes' if row['met'] else 'no'}")
        if len(targets) > 1:
            target = "; ".join(f"{t} ({', '.join(b)})" for t, b in targets.items())
        else:
            target = next(iter(targets), "")
        lines.append(f"| {name} | {' | '.join(cells)} | {target} | {', '.join(met)} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
