"""Security helpers: response headers, safe return addresses and redirects, links
that leave the site, secret tokens."""

import hashlib
import secrets
from urllib.parse import unquote, urlsplit, urlunsplit

from flask import Flask, Response, current_app, redirect, request, url_for
from werkzeug.exceptions import SecurityError
from werkzeug.wsgi import get_host

# Longer than any browser sends for a return address worth keeping.
NEXT_MAX = 2000
# 32 random bytes (256 bits), 43 URL-safe characters: far beyond guessing.
TOKEN_BYTES = 32
# Longer than any token we hand out; anything longer is not worth hashing.
TOKEN_MAX_LENGTH = 64
# Responses a browser may keep: static files (versioned URLs) and the favicon.
CACHEABLE_ENDPOINTS = frozenset({"static", "public.favicon"})

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def is_safe_next(target: str | None) -> bool:
    """True only for a path on this site, e.g. `/watched?page=2`.

    Browsers forgive a lot (backslashes as slashes, tabs and newlines dropped,
    percent-encoding), so anything that could be read as another origin is refused.
    """
    if not target or len(target) > NEXT_MAX or not target.startswith("/"):
        return False
    for candidate in (target, unquote(target)):
        if any(ord(char) < 0x21 or char in "\\\x7f" for char in candidate):
            return False
        if candidate.startswith("//"):
            return False
        parts = urlsplit(candidate)
        if parts.scheme or parts.netloc:
            return False
    return True


def safe_next(target: str | None, default: str) -> str:
    """The target when it is safe, otherwise the default."""
    return target if is_safe_next(target) else default


def redirect_back(default: str) -> Response:
    """Return to the page the form was on (its hidden `next`), or to the default."""
    return redirect(safe_next(request.form.get("next"), default), code=303)


def new_token() -> str:
    """A fresh secret for a link or a cookie; hand it out, keep only its digest."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_digest(token: str) -> str:
    """SHA-256 of a bearer token: the database never holds a usable token."""
    return hashlib.sha256(token.encode()).hexdigest()


def set_security_headers(response: Response) -> Response:
    """after_request: security headers on every response, error pages included."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault(
        "Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"
    )
    if request.is_secure:
        headers.setdefault(
            "Strict-Transport-Security",
            f"max-age={current_app.config['HSTS_SECONDS']}; includeSubDomains",
        )
    if request.endpoint not in CACHEABLE_ENDPOINTS:
        # Pages may hold a user's data or a CSRF token: never kept by a cache.
        headers["Cache-Control"] = "no-store"
    return response


def relative_redirect(response: Response) -> Response:
    """after_request: a redirect to this site names no host.

    Werkzeug builds its own redirects (`/movies//1` to `/movies/1`, a missing
    trailing slash) as absolute URLs from the request's Host, which the client
    chose: `Host: evil.example` would send the browser there. A path is enough.
    """
    location = response.headers.get("Location")
    if not location:
        return response
    parts = urlsplit(location)
    if not parts.netloc:
        return response
    try:
        own_host = get_host(request.environ)
    except SecurityError:
        own_host = None
    if parts.netloc == own_host:
        # "/" + lstrip: never a "//host" path, which browsers read as a host.
        path = "/" + parts.path.lstrip("/")
        response.headers["Location"] = urlunsplit(
            ("", "", path, parts.query, parts.fragment)
        )
    return response


def site_url(endpoint: str, **values) -> str:
    """A whole URL for a link that leaves the site (a share link, a mailed link).

    From BASE_URL when it is set, never from the request's Host; otherwise from
    the Host, which TRUSTED_HOSTS (when set) has already checked.
    """
    base_url = current_app.config.get("BASE_URL")
    if base_url:
        path = url_for(endpoint, **values)
        return base_url + path.removeprefix(request.root_path)
    return url_for(endpoint, **values, _external=True)


def register_security_headers(app: Flask) -> None:
    app.after_request(set_security_headers)
    app.after_request(relative_redirect)
