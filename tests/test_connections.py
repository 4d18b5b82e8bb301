"""Kept-alive connections after an early answer, on the default `gunicorn wsgi:app`.

The app answers 413 to a body over the limit without reading it. Gunicorn drains
at most 64 KiB of an unread body before reusing the connection and otherwise
closes it, so the answer must say `Connection: close`: the review saw the next
request on a connection that had been promised to stay open reset.
"""

import contextlib
import socket

import pytest

from tests.servers import Gunicorn, app_environment, gunicorn_binary, release, require

pytestmark = pytest.mark.slow

FORM = "application/x-www-form-urlencoded"


def send(connection: socket.socket, method: str, path: str, body: bytes = b"") -> None:
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    if method == "POST":
        head += f"Content-Type: {FORM}\r\nContent-Length: {len(body)}\r\n"
    connection.sendall(head.encode() + b"\r\n")
    # The server may answer and stop reading: its answer is what counts.
    with contextlib.suppress(OSError):
        connection.sendall(body)


def answer(connection: socket.socket) -> tuple[int, dict[str, str]]:
    """Status and headers of one response, its body read to the end."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed before an answer: {data[:200]!r}")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {
        name.strip().lower(): value.strip()
        for name, value in (line.split(":", 1) for line in lines)
    }
    while len(body) < int(headers.get("content-length", 0)):
        chunk = connection.recv(65536)
        if not chunk:
            raise ConnectionError("closed in the middle of an answer")
        body += chunk
    return int(status_line.split()[1]), headers


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """Plain `gunicorn wsgi:app`: one process, 8 threads (gthread)."""
    require(gunicorn_binary(), "gunicorn is not installed")
    directory = tmp_path_factory.mktemp("connections")
    database = f"sqlite:///{directory}/flicklist.sqlite"
    release(database)
    env = app_environment(database)
    del env["GUNICORN_WORKERS"]  # gunicorn.conf.py's own default
    with Gunicorn(env, directory / "gunicorn.log") as server:
        yield server


@pytest.mark.parametrize("size", [3 * 1024 * 1024, 12 * 1024 * 1024])
def test_a_413_before_the_body_is_read_closes_the_connection(server, size):
    for _ in range(3):
        with socket.create_connection(("127.0.0.1", server.port), timeout=30) as conn:
            send(conn, "POST", "/movies", b"title=" + b"x" * size)
            status, headers = answer(conn)
            assert status == 413
            assert headers["connection"] == "close"


def test_every_connection_said_to_stay_open_serves_the_next_request(server):
    """Small early answers (a POST without its CSRF token, a 404) keep the
    connection open, and it works; a large unread body ends it, saying so."""
    bodies = [b"title=x", b"title=" + b"x" * 60_000, b"title=" + b"x" * 200_000]
    for body in bodies:
        with socket.create_connection(("127.0.0.1", server.port), timeout=30) as conn:
            send(conn, "POST", "/movies", body)
            status, headers = answer(conn)
            assert status == 400
            if headers["connection"] == "keep-alive":
                send(conn, "GET", "/login")
                assert answer(conn)[0] == 200, len(body)
            else:
                assert len(body) > 64 * 1024
