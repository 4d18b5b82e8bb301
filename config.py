"""Configuration: one class per environment, overridable by FLASK_<KEY> variables."""

from datetime import timedelta
from types import MappingProxyType

MIB = 1024 * 1024


class Config:
    """Settings shared by every environment; secure unless a subclass relaxes them."""

    DEBUG_ALLOWED = True

    SECRET_KEY: str | None = None
    # Without SECRET_KEY: False keeps a generated one in the instance folder.
    REQUIRE_SECRET_KEY = False
    # None means "SQLite file in the instance folder" (see flicklist/settings.py).
    SQLALCHEMY_DATABASE_URI: str | None = None
    # Extra engine options, laid over the ones flicklist/database.py picks.
    SQLALCHEMY_ENGINE_OPTIONS = MappingProxyType({})
    DATABASE_POOL_SIZE = 5
    DATABASE_MAX_OVERFLOW = 10
    # A pooled PostgreSQL connection idle this long is tested before use.
    DATABASE_PING_AFTER_IDLE_SECONDS = 10
    SQLITE_BUSY_TIMEOUT_MS = 15_000

    MAX_CONTENT_LENGTH = 2 * MIB
    IMPORT_MAX_CONTENT_LENGTH = 10 * MIB
    # Ten megabytes of tiny rows are millions of them: a file with more rows than
    # this is refused whole, before anything is written (see flicklist/transfer/).
    IMPORT_MAX_ROWS = 100_000
    MAX_FORM_MEMORY_SIZE = 2 * MIB

    # Cookies: HttpOnly and SameSite everywhere; Secure (and __Host-) in production.
    SESSION_COOKIE_NAME = "flicklist_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_NAME = "flicklist_remember"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = False
    REMEMBER_COOKIE_DURATION = timedelta(days=30)
    # Server-side session records (see flicklist/auth/logins.py).
    SESSION_IDLE_TIMEOUT = timedelta(hours=2)
    SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=12)
    SESSION_TOUCH_INTERVAL = timedelta(minutes=1)

    WTF_CSRF_TIME_LIMIT = 4 * 3600
    WTF_CSRF_SSL_STRICT = True

    # Password hashing: argon2id at OWASP's minimum or above.
    ARGON2_TIME_COST = 2
    ARGON2_MEMORY_COST_KIB = 19 * 1024
    ARGON2_PARALLELISM = 1

    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"
    # Redis down: count in this process meanwhile rather than answer 500.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_STRATEGY = "moving-window"
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_KEY_PREFIX = "flicklist"
    LOGIN_RATE_LIMIT = "10 per minute"
    REGISTER_RATE_LIMIT = "120 per minute"
    ACCOUNT_RATE_LIMIT = "20 per minute"
    SHARE_RATE_LIMIT = "120 per minute"
    # Per account: each import is real work for a worker and the database.
    IMPORT_RATE_LIMIT = "30 per hour"

    # Proxy hops trusted for X-Forwarded-* (ProxyFix); 0 turns ProxyFix off.
    PROXY_FIX_HOPS = 0
    # Host names the site answers to (FLASK_TRUSTED_HOSTS, a JSON list or names
    # separated by commas); a request for any other gets 400. None accepts every
    # Host: set it (or FLASK_BASE_URL) wherever clients can reach gunicorn without
    # nginx, whose default server already refuses unknown names.
    TRUSTED_HOSTS: list[str] | None = None
    # Scheme and host (and path prefix) of links that leave the site, e.g. the share
    # link: `https://films.example.org`. None builds them from the request's Host,
    # which TRUSTED_HOSTS then vouches for.
    BASE_URL: str | None = None
    HSTS_SECONDS = 365 * 24 * 3600
    MOVIES_PER_PAGE = 50
    UPGRADE_EMPTY_DATABASE = False
    # Rendered list rows kept per worker process (see flicklist/movies/list_cache.py);
    # 0 turns the cache off.
    LIST_CACHE_ENTRIES = 512


class DevelopmentConfig(Config):
    """`flask run` on a fresh checkout: no settings needed."""

    # A fresh checkout's empty SQLite file gets the migrations on first use (see
    # flicklist/database.py); production only ever runs `flask db upgrade`.
    UPGRADE_EMPTY_DATABASE = True
    # Local tools and test suites register many accounts from one address.
    REGISTER_RATE_LIMIT = "1000 per minute"


class TestConfig(Config):
    """The test suite: cheap hashes, no rate limits unless a test turns them on."""

    TESTING = True
    SECRET_KEY = "test-secret-key"  # noqa: S105 (tests only)
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST_KIB = 64
    RATELIMIT_ENABLED = False


class ProductionConfig(Config):
    """`gunicorn wsgi:app` behind one reverse proxy; SECRET_KEY is required."""

    SESSION_COOKIE_NAME = "__Host-flicklist_session"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_NAME = "__Host-flicklist_remember"
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"
    REQUIRE_SECRET_KEY = True
    # FLASK_DEBUG=1 left in the environment is ignored.
    DEBUG_ALLOWED = False
    PROXY_FIX_HOPS = 1
