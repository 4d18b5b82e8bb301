"""A small HTTP client with cookies, enough to log in and read CSRF tokens."""

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request
import uuid

# wrk sends the same, so a session looks like one browser to Flask-Login.
USER_AGENT = "flicklist-bench"
CSRF = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Client:
    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect()
        )

    def request(self, method: str, path: str, body: bytes | None = None, headers=None):
        headers = {"User-Agent": USER_AGENT, **(headers or {})}
        req = urllib.request.Request(
            self.base + path, data=body, method=method, headers=headers
        )
        try:
            with self.opener.open(req, timeout=120) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def csrf(self, path: str) -> str:
        _, html = self.request("GET", path)
        match = CSRF.search(html.decode())
        if not match:
            raise RuntimeError(f"no CSRF token on {path}")
        return match.group(1)

    def post_form(self, path: str, fields: dict, token_from: str):
        data = urllib.parse.urlencode({"csrf_token": self.csrf(token_from), **fields})
        return self.request(
            "POST",
            path,
            data.encode(),
            {"Content-Type": "application/x-www-form-urlencoded"},
        )

    def post_file(
        self, path: str, name: str, filename: str, content: bytes, token_from: str
    ):
        boundary = uuid.uuid4().hex
        token = self.csrf(token_from)
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
            f"{token}\r\n".encode(),
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: text/csv\r\n\r\n'.encode()
            + content
            + b"\r\n",
            f"--{boundary}--\r\n".encode(),
        ]
        return self.request(
            "POST",
            path,
            b"".join(parts),
            {"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )

    def login(self, email: str, password: str) -> None:
        status, _ = self.post_form(
            "/login", {"email": email, "password": password}, "/login"
        )
        if status not in (302, 303):
            raise RuntimeError(f"login failed for {email}: {status}")

    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)
