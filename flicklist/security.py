"""Response headers every page carries, and the one check for a safe `next` target."""

from urllib.parse import unquote, urlsplit

from flask import Flask, Response, current_app, request

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
    if not target or len(target) > 2000 or not target.startswith("/"):
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
    if request.endpoint != "static":
        # Pages may hold a user's data or a CSRF token: never kept by a cache.
        headers["Cache-Control"] = "no-store"
    return response


def register_security_headers(app: Flask) -> None:
    app.after_request(set_security_headers)
