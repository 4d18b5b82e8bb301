"""Run wrk against a URL and read requests/s, latency percentiles and failures."""

import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


@dataclass
class WrkResult:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    failures: int


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * UNITS[unit]


def parse(output: str) -> WrkResult:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", output, re.M).group(1))
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", output, re.M).group(1))
    total = int(re.search(r"(\d+) requests in", output).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    failures = int(bad.group(1)) if bad else 0
    if errors:
        failures += sum(int(n) for n in errors.groups())
    return WrkResult(rps, p50, p99, total, failures)


def lua_script(
    method: str, path: str, cookie: str, body: str, unique_field: str
) -> str:
    """A wrk script; `{n}` in the body becomes a per-thread counter when asked."""
    return f"""
local counter = 0
local tid = 0
local created = 0
function setup(thread)
  created = created + 1
  thread:set("tid", created)
end
request = function()
  counter = counter + 1
  local body = [[{body}]]
  if {"true" if unique_field else "false"} then
    body = body:gsub("{{n}}", tostring(tid) .. "-" .. tostring(counter))
  end
  local headers = {{}}
  headers["Cookie"] = [[{cookie}]]
  headers["User-Agent"] = "flicklist-bench"
  if body ~= "" then
    headers["Content-Type"] = "application/x-www-form-urlencoded"
  end
  return wrk.format("{method}", "{path}", headers, body ~= "" and body or nil)
end
"""


def run_wrk(
    base: str,
    path: str,
    *,
    method: str = "GET",
    cookie: str = "",
    body: str = "",
    unique: bool = False,
    seconds: int = 8,
    threads: int = 2,
    connections: int = 16,
) -> WrkResult:
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "request.lua"
        script.write_text(lua_script(method, path, cookie, body, "n" if unique else ""))
        command = [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "--timeout",
            "10s",
            "-s",
            str(script),
            base + path,
        ]
        output = subprocess.run(
            command, capture_output=True, text=True, check=True
        ).stdout
    return parse(output)
