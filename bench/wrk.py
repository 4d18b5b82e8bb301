"""Run wrk against a server and read requests/s, latency percentiles and failures."""

import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


@dataclass(frozen=True)
class Request:
    """One HTTP request wrk sends; `{n}` in the body becomes a unique counter."""

    path: str
    method: str = "GET"
    cookie: str = ""
    body: str = ""


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


def lua_string(text: str) -> str:
    """A Lua string literal for any text (long brackets cannot hold every text)."""
    return '"' + "".join(f"\\{byte}" for byte in text.encode()) + '"'


def lua_script(requests: list[Request]) -> str:
    """A wrk script that cycles through `requests`, each thread from its own offset."""
    rows = ",\n".join(
        "{"
        + ", ".join(
            lua_string(value)
            for value in (request.method, request.path, request.cookie, request.body)
        )
        + "}"
        for request in requests
    )
    return f"""
local requests = {{
{rows}
}}
local counter = 0
local tid = 0
local created = 0
function setup(thread)
  created = created + 1
  thread:set("tid", created)
end
request = function()
  counter = counter + 1
  local r = requests[((counter + tid * 7919) % #requests) + 1]
  local body = r[4]
  local headers = {{}}
  headers["Cookie"] = r[3]
  headers["User-Agent"] = "flicklist-bench"
  if body ~= "" then
    body = body:gsub("{{n}}", tostring(tid) .. "-" .. tostring(counter))
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    return wrk.format(r[1], r[2], headers, body)
  end
  return wrk.format(r[1], r[2], headers, nil)
end
"""


def run_wrk(
    base: str,
    requests: list[Request],
    *,
    seconds: int = 8,
    threads: int = 2,
    connections: int = 16,
) -> WrkResult:
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "requests.lua"
        script.write_text(lua_script(requests))
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
            base + requests[0].path,
        ]
        output = subprocess.run(
            command, capture_output=True, text=True, check=True
        ).stdout
    return parse(output)
