"""Real programs for the tests and the benchmark: gunicorn, nginx, Redis, a browser.

The one home of the server toolkit: free ports, waiting for a server to answer,
`require` (skip locally, fail in CI) and the Redis probe.
"""

import getpass
import http.client
import io
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import Message
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
import sqlalchemy as sa

from flicklist.database import normalise_database_url
from tests.helpers import CSRF_PATTERN, PASSWORD, TEST_DATABASE_URL

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PORTS = range(5100, 5200)  # for servers the tests start themselves, or leave closed
GUNICORN_PORTS = range(5200, 5300)
NGINX_PORTS = range(8200, 8300)
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/2")
FLASH = re.compile(r'class="flash flash-(\w+)">(.*?)</p>', re.S)
IN_CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def require(condition: object, reason: str) -> None:
    """Skip without the program; with CI=true a missing program is a failure."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI=true but {reason}", pytrace=False)
    pytest.skip(reason)


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next(
        (path for path in ("/usr/sbin/nginx",) if os.access(path, os.X_OK)), None
    )


def gunicorn_binary() -> str | None:
    path = BIN / "gunicorn"
    return str(path) if path.exists() else shutil.which("gunicorn")


def redis_answers(url: str = REDIS_URL) -> bool:
    """The Redis probe: does a Redis server answer at this URL?"""
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_timeout=2).ping())
    except redis.RedisError:
        return False


def free_port(ports: range | None = None) -> int:
    """A port nobody listens on: one of `ports` (tried in random order), or by
    default one the system picks."""
    if ports is None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            return probe.getsockname()[1]
    candidates = list(ports)
    random.shuffle(candidates)
    for port in candidates:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {ports}")


def wait_until_up(
    url: str,
    process: subprocess.Popen | None = None,
    log: Path | None = None,
    timeout: float = 30,
) -> None:
    """Until the server at `url` answers HTTP (any status).

    Raises RuntimeError, with the end of its log, when its process exits first or
    nothing answers in time.
    """

    def log_tail() -> str:
        if log is None or not log.exists():
            return ""
        return ":\n" + log.read_text(errors="replace")[-4000:]

    parts = urlsplit(url)
    deadline = time.monotonic() + timeout
    while True:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server for {url} exited{log_tail()}")
        try:
            connection = http.client.HTTPConnection(
                parts.hostname, parts.port, timeout=5
            )
            try:
                connection.request("GET", parts.path or "/")
                connection.getresponse().read()
            finally:
                connection.close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"nothing answers at {url}{log_tail()}") from None
            time.sleep(0.1)


def release(database_url: str) -> None:
    """The release step, as an operator runs it: `flask --app flicklist db upgrade`."""
    env = {
        "PATH": os.environ["PATH"],
        "DATABASE_URL": database_url,
        "SECRET_KEY": "release-step",
    }
    subprocess.run(
        [str(BIN / "flask"), "--app", "flicklist", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=60,
    )


def reset_postgresql(url: str) -> None:
    """An empty database, so the release step builds the schema from nothing."""
    engine = sa.create_engine(normalise_database_url(url))
    with engine.begin() as connection:
        connection.execute(sa.text("DROP SCHEMA public CASCADE"))
        connection.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


def released_database(backend: str, directory: Path) -> str:
    """A fresh database of the backend ("sqlite" or "postgresql") after the release
    step; PostgreSQL's is skipped (failed under CI) without TEST_DATABASE_URL."""
    if backend == "sqlite":
        url = f"sqlite:///{directory}/flicklist.sqlite"
    else:
        require(TEST_DATABASE_URL, "TEST_DATABASE_URL is not set (PostgreSQL needed)")
        url = TEST_DATABASE_URL
        reset_postgresql(url)
    release(url)
    return url


def app_environment(database_url: str, **settings: str) -> dict[str, str]:
    """What an operator's env file holds, for plain http on loopback.

    Cookies are not Secure here because nginx speaks plain http in the tests; a
    real site terminates TLS in nginx and keeps the production defaults.
    """
    return {
        "PATH": os.environ["PATH"],
        "SECRET_KEY": "production-tests-" + "k" * 32,
        "DATABASE_URL": database_url,
        "FLASK_SESSION_COOKIE_SECURE": "false",
        "FLASK_REMEMBER_COOKIE_SECURE": "false",
        # Cheaper hashes: these tests are about servers, not password cost.
        "FLASK_ARGON2_TIME_COST": "1",
        "FLASK_ARGON2_MEMORY_COST_KIB": "8192",
        "FLASK_REGISTER_RATE_LIMIT": "1000 per minute",
        "FLASK_RATELIMIT_KEY_PREFIX": "flicklist-test-" + secrets.token_hex(4),
        "GUNICORN_WORKERS": "2",
        "GUNICORN_TIMEOUT": "30",
        "GUNICORN_GRACEFUL_TIMEOUT": "5",
        **settings,
    }


class Gunicorn:
    """`gunicorn wsgi:app` in its own process group, under the shipped
    gunicorn.conf.py, logging to a file (or, without one, to nowhere).

    `app` and `options` run another WSGI app or override the settings (the
    benchmark's bare Flask app). Use start()/stop(), or `with Gunicorn(...)`.
    """

    def __init__(
        self,
        env: dict[str, str],
        log_path: Path | None,
        port: int | None = None,
        app: str = "wsgi:app",
        options: Sequence[str] = (),
    ):
        self.port = port or free_port(GUNICORN_PORTS)
        self.env = {**env, "GUNICORN_BIND": f"127.0.0.1:{self.port}"}
        self.log_path = log_path
        self.command = [gunicorn_binary(), app, *options]
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "Gunicorn":
        if self.log_path is None:
            self.process = self.launch(subprocess.DEVNULL, None)
        else:
            with open(self.log_path, "ab") as log:
                self.process = self.launch(log, subprocess.STDOUT)
        try:
            wait_until_up(self.url + "/healthz", self.process)
        except RuntimeError as error:
            self.kill()
            raise RuntimeError(
                f"gunicorn did not start ({error}): {self.log()}"
            ) from None
        return self

    def launch(self, stdout, stderr) -> subprocess.Popen:
        return subprocess.Popen(
            self.command,
            cwd=ROOT,
            env=self.env,
            stdout=stdout,
            stderr=stderr,
            start_new_session=True,
        )

    def __enter__(self) -> "Gunicorn":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def log(self) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return self.log_path.read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        """A graceful stop (SIGTERM), as systemd does."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()

    def kill(self) -> None:
        """A crash: SIGKILL to the master and its workers at once."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
            self.wait_until_closed()

    def wait_until_closed(self, timeout: float = 10) -> None:
        """Workers die a moment after the master: until then they hold the socket."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) != 0:
                    return
            time.sleep(0.02)
        raise RuntimeError(f"port {self.port} still open after the kill")


NGINX_CONF = """
user {user};
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 512; }}
http {{
    types {{ text/css css; image/svg+xml svg; text/html html; }}
    default_type application/octet-stream;
    access_log {dir}/access.log;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    upstream flicklist {{
{servers}
    }}
    server {{
        listen 127.0.0.1:{port};
        server_name localhost;
        root {root}/flicklist;
        # Which gunicorn answered (tests only).
        add_header X-Upstream $upstream_addr always;
        include {root}/deploy/nginx/flicklist-locations.conf;
    }}
}}
"""


class Nginx:
    """nginx in the foreground with its own config, in front of gunicorn servers."""

    def __init__(self, directory: Path, upstream_ports: list[int]):
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self.directory.chmod(0o755)
        self.port = free_port(NGINX_PORTS)
        servers = "\n".join(
            f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=10s;"
            for port in upstream_ports
        )
        self.config = directory / "nginx.conf"
        self.config.write_text(
            NGINX_CONF.format(
                user=getpass.getuser(),
                dir=directory,
                servers=servers,
                port=self.port,
                root=ROOT,
            )
        )
        self.process: subprocess.Popen | None = None

    def start(self) -> "Nginx":
        with open(self.directory / "stderr.log", "ab") as stderr:
            self.process = self.launch(stderr)
        try:
            url = f"http://127.0.0.1:{self.port}/static/style.css"
            wait_until_up(url, self.process, timeout=15)
        except RuntimeError:
            self.stop()
            raise RuntimeError(f"nginx did not start: {self.error_log()}") from None
        return self

    def launch(self, stderr) -> subprocess.Popen:
        return subprocess.Popen(
            [
                nginx_binary(),
                "-p",
                str(self.directory),
                "-c",
                str(self.config),
                "-e",
                str(self.directory / "error.log"),
                "-g",
                "daemon off;",
            ],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            start_new_session=True,
        )

    def error_log(self) -> str:
        logs = [self.directory / "stderr.log", self.directory / "error.log"]
        text = "".join(p.read_text(errors="replace") for p in logs if p.exists())
        return text[-4000:]

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # graceful
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


@dataclass
class Response:
    status: int
    headers: Message
    text: str

    def flashes(self) -> list[tuple[str, str]]:
        return FLASH.findall(self.text)


class Browser:
    """Just enough of a browser: cookies, forms with their CSRF token, no redirects."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, fields: dict | None = None) -> Response:
        headers = {"Host": f"127.0.0.1:{self.port}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if fields is not None:
            body = urlencode(fields)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
        finally:
            connection.close()
        self.keep_cookies(response.headers.get_all("Set-Cookie") or [])
        return Response(response.status, response.headers, text)

    def keep_cookies(self, headers: list[str]) -> None:
        for header in headers:
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def csrf_token(self, path: str | None = None) -> str:
        """From a page's form; by default the account page, else the login page."""
        page = self.get(path or "/account")
        if path is None and page.status != 200:
            page = self.get("/login")
        match = CSRF_PATTERN.search(page.text)
        assert match, f"no CSRF token on {path} ({page.status})"
        return match.group(1) or match.group(2)

    def post(self, path: str, fields: dict, token: str | None = None) -> Response:
        token = token or self.csrf_token()
        return self.request("POST", path, {"csrf_token": token, **fields})

    def register(self, email: str, password: str = PASSWORD) -> Response:
        token = self.csrf_token("/register")
        fields = {"email": email, "password": password, "verify": password}
        return self.post("/register", fields, token)

    def login(self, email: str, password: str = PASSWORD) -> Response:
        token = self.csrf_token("/login")
        return self.post("/login", {"email": email, "password": password}, token)

    def upload(self, content: bytes, filename: str, timeout: float = 60) -> Response:
        """POST a file to /import as a browser's form does (multipart)."""
        from werkzeug.datastructures import FileStorage
        from werkzeug.test import encode_multipart

        fields = {
            "csrf_token": self.csrf_token("/"),
            "file": FileStorage(io.BytesIO(content), filename, "file", "text/csv"),
        }
        boundary, body = encode_multipart(fields)
        headers = {
            "Host": f"127.0.0.1:{self.port}",
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        }
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request("POST", "/import", body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
        finally:
            connection.close()
        self.keep_cookies(response.headers.get_all("Set-Cookie") or [])
        return Response(response.status, response.headers, text)


@dataclass
class Answer:
    """One add request of a load run: what it asked for and what it got."""

    title: str
    status: int  # 0: no HTTP answer at all
    started: float
    upstream: str


def add_movies(browser: Browser, titles: list[str], on_answer=None) -> list[Answer]:
    token = browser.csrf_token("/")
    answers = []
    for title in titles:
        started = time.monotonic()
        try:
            response = browser.post("/movies", {"title": title}, token)
            status, upstream = response.status, response.headers.get("X-Upstream", "")
        except OSError:
            status, upstream = 0, ""
        answers.append(Answer(title, status, started, upstream))
        if on_answer is not None:
            on_answer(answers[-1])
    return answers


def in_parallel(function, arguments: list, timeout: float = 120) -> list:
    """Run function(argument) for every argument at once, each in its own thread."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=len(arguments)) as pool:
        futures = [pool.submit(function, argument) for argument in arguments]
        return [future.result(timeout=timeout) for future in futures]


def registered_users(port: int, count: int, prefix: str) -> list[Browser]:
    """`count` users registered at once, each logged in in its own browser."""

    def register(number: int) -> Browser:
        browser = Browser(port)
        response = browser.register(f"{prefix}{number}@example.com")
        assert response.status == 303, (response.status, response.flashes())
        return browser

    return in_parallel(register, list(range(count)))


def stored_titles(database_url: str, email: str) -> list[str]:
    from flicklist.models import Movie, User

    engine = sa.create_engine(normalise_database_url(database_url))
    try:
        with engine.connect() as connection:
            return list(
                connection.scalars(
                    sa.select(Movie.title)
                    .join(User, User.id == Movie.user_id)
                    .where(User.email == email.lower())
                )
            )
    finally:
        engine.dispose()


def count_rows(database_url: str, statement) -> int:
    engine = sa.create_engine(normalise_database_url(database_url))
    try:
        with engine.connect() as connection:
            return connection.scalar(statement)
    finally:
        engine.dispose()


def worker_pids(master: subprocess.Popen) -> list[int]:
    """The processes a gunicorn master forked (its workers)."""
    children = Path(f"/proc/{master.pid}/task/{master.pid}/children")
    return [int(pid) for pid in children.read_text().split()]


def rss_mib(pid: int) -> float:
    """A process's resident memory (VmRSS), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def make_certificate(directory: Path) -> None:
    """A self-signed certificate for flicklist.example.org, the shipped site's name."""
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=flicklist.example.org",
            "-keyout",
            str(directory / "privkey.pem"),
            "-out",
            str(directory / "fullchain.pem"),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )


def standalone_nginx_config(directory: Path, site: str, http_extra: str = "") -> Path:
    """An nginx.conf of its own (pid, temp files, no access log) around one site
    file, for running a shipped site as this user; returns its path."""
    (directory / "site.conf").write_text(site)
    temp_paths = " ".join(
        f"{name}_temp_path {directory}/{name};"
        for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    config = directory / "nginx.conf"
    config.write_text(
        f"user {getpass.getuser()};\n"
        f"pid {directory}/nginx.pid;\n"
        "events {}\n"
        f"http {{ {http_extra}access_log off; {temp_paths} "
        f"include {directory}/site.conf; }}\n"
    )
    return config


def nginx_command(config: Path, *options: str) -> list[str]:
    """nginx on that config, its prefix and error log beside it."""
    directory = config.parent
    return [
        str(nginx_binary()),
        *options,
        "-p",
        str(directory),
        "-c",
        str(config),
        "-e",
        str(directory / "error.log"),
    ]
