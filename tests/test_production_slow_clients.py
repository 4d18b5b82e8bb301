"""Slow clients do not stall `gunicorn wsgi:app` (one process, 8 threads).

The review's slowloris: a handful of connections that send part of a request and
then a byte now and then held every thread of the default server indefinitely.
"""

import http.client
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from tests.servers import Gunicorn, app_environment, gunicorn_binary, release, require

pytestmark = pytest.mark.slow

SLOW_CLIENTS = 12  # more than the default server's 8 threads
HEADER_TIMEOUT = 5  # GUNICORN_HEADER_TIMEOUT's default


@pytest.fixture
def server(tmp_path) -> Iterator[Gunicorn]:
    require(gunicorn_binary(), "gunicorn is not installed")
    url = f"sqlite:///{tmp_path}/flicklist.sqlite"
    release(url)
    env = app_environment(url, GUNICORN_BODY_TIMEOUT="3")
    del env["GUNICORN_WORKERS"]  # the default: one process with 8 threads
    with Gunicorn(env, tmp_path / "gunicorn.log") as started:
        yield started


class Trickle:
    """Connections that send `start`, then one more byte a second, until closed."""

    def __init__(self, port: int, start: bytes, count: int = SLOW_CLIENTS):
        self.sockets = [
            socket.create_connection(("127.0.0.1", port)) for _ in range(count)
        ]
        self.closed_by_server = 0
        self.stop = threading.Event()
        for sock in self.sockets:
            sock.sendall(start)
        self.thread = threading.Thread(target=self.trickle, daemon=True)
        self.thread.start()

    def trickle(self) -> None:
        alive = list(self.sockets)
        while alive and not self.stop.wait(1):
            for sock in list(alive):
                try:
                    sock.sendall(b"x")
                except OSError:
                    alive.remove(sock)
                    self.closed_by_server += 1

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=5)
        for sock in self.sockets:
            sock.close()


def healthz(port: int, timeout: float) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", "/healthz")
        return connection.getresponse().status
    finally:
        connection.close()


def answers_despite(server: Gunicorn, start: bytes, within: float) -> int:
    slow = Trickle(server.port, start)
    try:
        time.sleep(0.5)  # let the worker's threads take up the slow clients
        return healthz(server.port, timeout=within)
    finally:
        slow.close()


def test_clients_trickling_headers_do_not_stall_the_default_server(server):
    start = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
    assert answers_despite(server, start, within=HEADER_TIMEOUT + 5) == 200


def test_clients_trickling_a_body_do_not_stall_the_default_server(server):
    start = (
        b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: 100000\r\n\r\nemail="
    )
    assert answers_despite(server, start, within=3 + 5) == 200
    server.stop()
    assert "Traceback" not in server.log()
    assert '"status": 400' in server.log()  # the bodies cut short


def test_slow_clients_are_dropped(server):
    slow = Trickle(server.port, b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
    try:
        deadline = time.monotonic() + 3 * HEADER_TIMEOUT + 5
        while slow.closed_by_server < SLOW_CLIENTS and time.monotonic() < deadline:
            time.sleep(0.5)
        assert slow.closed_by_server == SLOW_CLIENTS
    finally:
        slow.close()
    assert healthz(server.port, timeout=5) == 200
