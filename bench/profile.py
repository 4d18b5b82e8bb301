"""Where a request's time goes: py-spy records a gunicorn worker under wrk load.

    python -m bench.profile [--database postgresql://...] [--scenario NAME]

Starts FlickList on a fresh seeded database with one sync worker, loads one scenario
with wrk, and records the worker with py-spy (it samples the running process and
changes nothing). Prints the functions by inclusive and by own share of the samples,
and writes py-spy's flame graph to bench/profile-<scenario>.svg.
"""

import argparse
import collections
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.run import QUICK
from bench.scenarios import build_scenarios
from bench.stack import (
    LIST_CACHE_OFF,
    gunicorn_options,
    reset_database,
    seed_database,
    server_env,
)
from bench.wrk import run_wrk
from tests.servers import ROOT, Gunicorn, free_port, worker_pids


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.profile", description=__doc__
    )
    parser.add_argument("--database", help="a PostgreSQL URL (default: SQLite)")
    parser.add_argument("--scenario", default="watchlist-miss")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument(
        "--focus",
        action="append",
        default=[],
        help="also show what this function (a name prefix) spends its time in",
    )
    return parser.parse_args()


def callees(raw: Path, focus: str, depth: int = 1) -> None:
    """The share of `focus`'s samples spent in each function it calls."""
    below: collections.Counter = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        hits = [i for i, frame in enumerate(frames) if frame.startswith(focus)]
        if not hits:
            continue
        total += int(count)
        child = [
            frame.rsplit(":", 1)[0] + ")" if ":" in frame else frame
            for frame in frames[hits[0] + 1 : hits[0] + 1 + depth]
        ]
        below[";".join(child) or "(itself)"] += int(count)
    print(f"\n== inside {focus} ({total} samples)")
    for frame, samples in below.most_common(25):
        print(f"{100 * samples / max(total, 1):6.1f}%  {frame[:160]}")


def summarise(raw: Path, top: int) -> None:
    """Inclusive and own sample shares per function from py-spy's raw output."""
    inclusive: collections.Counter = collections.Counter()
    own: collections.Counter = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        samples = int(count)
        total += samples
        for frame in set(frames):
            inclusive[frame] += samples
        own[frames[-1]] += samples
    for title, counter in (("inclusive", inclusive), ("own", own)):
        print(f"\n== {title} share of {total} samples")
        for frame, samples in counter.most_common(top):
            print(f"{100 * samples / total:6.1f}%  {frame[:150]}")


def main() -> int:
    args = parse_args()
    py_spy = shutil.which("py-spy") or str(Path(sys.prefix) / "bin" / "py-spy")
    if not Path(py_spy).exists():
        print("bench.profile: pip install py-spy", file=sys.stderr)
        return 2
    tmp = Path(tempfile.mkdtemp(prefix="flicklist-profile-"))
    try:
        url = args.database or f"sqlite:///{tmp}/flicklist.sqlite"
        reset_database(url)
        ids = seed_database(url, QUICK)
        env = server_env(url)
        if "miss" in args.scenario or args.scenario in ("add", "watched", "rate"):
            env.update(LIST_CACHE_OFF)
        options = gunicorn_options(workers=1)
        with Gunicorn(env, None, port=free_port(), options=options) as flick:
            scenarios = build_scenarios(flick.url, url, QUICK, ids)
            scenario = next(s for s in scenarios if s.key == args.scenario)
            (pid,) = worker_pids(flick.process)
            raw = ROOT / "bench" / f"profile-{args.scenario}.txt"
            svg = ROOT / "bench" / f"profile-{args.scenario}.svg"
            record = [py_spy, "record", "--pid", str(pid), "--rate", "500"]
            record += ["--duration", str(args.seconds), "--nonblocking"]
            spies = [
                subprocess.Popen([*record, "--format", "raw", "-o", str(raw)]),
                subprocess.Popen([*record, "-o", str(svg)]),
            ]
            result = run_wrk(
                flick.url, scenario.requests, seconds=args.seconds, connections=4
            )
            for spy in spies:
                spy.wait()
            print(
                f"{scenario.name}: {result.requests_per_second:.0f} req/s on one "
                f"worker, p99 {result.p99_ms:.1f} ms; flame graph: {svg}"
            )
            summarise(raw, args.top)
            for focus in args.focus:
                callees(raw, focus)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
