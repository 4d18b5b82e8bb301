"""gunicorn's threaded worker with deadlines for reading a request.

gunicorn's gthread worker waits for a connection's first byte without holding a
thread, but once a byte arrives a thread reads the rest of the request from a
blocking socket with no timeout. A client that sends half a request line and then
nothing (or a byte now and then) holds that thread for good, so 8 such clients
stalled `gunicorn wsgi:app` (one process, 8 threads) indefinitely.

Here each request has a deadline: its request line and headers within
`header_timeout` seconds of the thread starting to read them, its body within
`body_timeout` seconds after that. A watchdog thread shuts the reading side of a
socket whose deadline has passed: the blocked read returns end of file, so gunicorn
drops a request still without headers, and a body cut short raises Werkzeug's
ClientDisconnected in the app (a 400: gunicorn alone would hand the app the
truncated body as if it were whole). A deadline that passes while the app is still
working (the body all read) changes nothing for it, and its answer is still sent.
"""

import contextlib
import socket
import threading
import time

from gunicorn.workers.gthread import ThreadWorker
from werkzeug.exceptions import ClientDisconnected


class CutBody:
    """A request body that fails, rather than ends early, once its reading is cut."""

    def __init__(self, body, is_cut) -> None:
        self.body = body
        self.is_cut = is_cut

    def check(self, data: bytes) -> bytes:
        if self.is_cut():
            raise ClientDisconnected("The request body took too long to arrive.")
        return data

    def read(self, size=None) -> bytes:
        return self.check(self.body.read(size))

    def readline(self, size=None) -> bytes:
        return self.check(self.body.readline(size))

    def readlines(self, size=None) -> list:
        lines = self.body.readlines(size)
        self.check(b"")
        return lines

    def __iter__(self):
        return self

    def __next__(self) -> bytes:
        return self.check(next(self.body))


class DeadlineThreadWorker(ThreadWorker):
    """gthread, with the read deadlines above (seconds, set by `deadline_worker`)."""

    header_timeout: float = 5
    body_timeout: float = 60

    def init_process(self) -> None:
        self.deadlines: dict = {}
        self.cut: set = set()
        self.deadlines_lock = threading.Lock()
        watchdog = threading.Thread(
            target=self.drop_late_readers, name="read-deadlines", daemon=True
        )
        watchdog.start()
        super().init_process()

    def handle(self, conn):
        self.set_deadline(conn, self.header_timeout)
        try:
            return super().handle(conn)
        finally:
            with self.deadlines_lock:
                self.deadlines.pop(conn, None)
                self.cut.discard(conn)

    def handle_request(self, req, conn):
        # The request line and headers are in: the body has its own deadline.
        self.set_deadline(conn, self.body_timeout)
        # Only the app's wsgi.input: gunicorn's own drain afterwards must see EOF.
        body = req.body
        req.body = CutBody(body, lambda: conn in self.cut)
        try:
            return super().handle_request(req, conn)
        finally:
            req.body = body

    def set_deadline(self, conn, seconds: float) -> None:
        with self.deadlines_lock:
            self.deadlines[conn] = time.monotonic() + seconds

    def drop_late_readers(self) -> None:
        while True:
            time.sleep(0.25)
            now = time.monotonic()
            with self.deadlines_lock:
                late = [conn for conn, due in self.deadlines.items() if due <= now]
                for conn in late:
                    del self.deadlines[conn]
                    self.cut.add(conn)
                    # Under the lock: handle() has not returned, so the socket is
                    # still this connection's (a closed one raises OSError).
                    with contextlib.suppress(OSError):
                        conn.sock.shutdown(socket.SHUT_RD)
            for conn in late:
                self.log.info("Dropped a slow client: %s", conn.client)


def deadline_worker(header_timeout: float, body_timeout: float) -> type:
    """A DeadlineThreadWorker with these deadlines, for gunicorn's worker_class."""
    return type(
        "DeadlineThreadWorker",
        (DeadlineThreadWorker,),
        {"header_timeout": header_timeout, "body_timeout": body_timeout},
    )
